"""Writes for purchase orders and shipments, with the licence drawdown rules
of docs/architecture.md#drawdown: over-draws refused (or forced by compliance with a note), suggestions,
customs-hold windows and licence status kept in step, all in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.errors import ConflictError, DomainError, field_error
from core.roles import Role, has_role
from core.services import lines_create, save_validated
from licensing import clock
from licensing import services as licensing_services
from licensing.documents import document_attach
from licensing.models import ControlledItem, Document, Licence, LicenceLine, LicenceStatus
from suppliers.models import PurchaseOrder, PurchaseOrderLine
from suppliers.services import purchase_order_check_supplier

from . import drawdown
from .models import (
    SHIPMENT_ETA_MESSAGE,
    CustomsAnswer,
    CustomsAnswerStatus,
    Shipment,
    ShipmentDocument,
    ShipmentLine,
    ShipmentStatus,
)
from .selectors import licence_lines_with_drawdown, licence_suggestion, licences_exhausted_ids

PO_FIELDS = frozenset({"number", "supplier", "order_date", "needed_by", "status", "notes", "external_ref"})
SHIPMENT_FIELDS = frozenset(
    {
        "supplier", "purchase_order", "reference", "status", "transport_mode", "planned_ship_date",
        "actual_ship_date", "eta", "arrived_on", "held_on", "customs_question", "notes", "external_ref",
    }
)


PO_NEEDED_BY_MESSAGE = "The needed-by date cannot be before the order date."


def _refuse_unknown(fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    if unknown := set(fields) - allowed:
        raise DomainError({name: "This field cannot be set here." for name in sorted(unknown)})


# --- Purchase orders ------------------------------------------------------------


def _po_lines(lines: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Purchase-order lines name their item by catalogue code; an unknown code is refused here,
    whatever the door (``item`` may be a ``ControlledItem`` or its code)."""
    out, errors = [], {}
    rows = [dict(line) for line in lines]
    codes = {getattr(r.get("item"), "code", r.get("item")) for r in rows}
    known = set(ControlledItem.objects.filter(code__in=codes - {None}).values_list("code", flat=True))
    for i, row in enumerate(rows):
        item = row.pop("item", None)
        code = getattr(item, "code", item)
        if code not in known:
            errors[f"lines[{i}].item"] = f"No controlled item has the code '{code}'." if code else "Give the item."
        row["item_code"] = code or ""
        out.append(row)
    if errors:
        raise DomainError(errors)
    return out


@transaction.atomic
def purchase_order_save(
    *, purchase_order: PurchaseOrder | None = None, lines: Iterable[Mapping[str, Any]] | None = None,
    actor=None, **fields: Any,
) -> PurchaseOrder:
    """Create or update a purchase order; ``lines`` (when given) replace the existing lines."""
    _refuse_unknown(fields, PO_FIELDS)
    po = purchase_order or PurchaseOrder()
    for name, value in fields.items():
        setattr(po, name, value)
    if po.needed_by and po.order_date and po.needed_by < po.order_date:
        raise field_error("needed_by", PO_NEEDED_BY_MESSAGE, code="invalid_range")
    if po.status != PurchaseOrder.Status.OPEN:
        # Only open orders can be late for want of a licence (shipments.risk); a closed or
        # cancelled one must not keep a flag from when it was open.
        po.at_risk, po.expected_arrival, po.risk, po.risk_reason = False, None, "", ""
    save_validated(po, actor=actor, reason="saved")
    if lines is not None:
        po.lines.all().delete()
        lines_create(PurchaseOrderLine, "purchase_order", po, _po_lines(lines), actor=actor)
    return po


# --- Shipments and drawdown ---------------------------------------------------------------------


def _licence_balances(licence: Licence, shipment_id: int | None) -> dict[int, drawdown.LineBalance]:
    """The licence's lines by item with what is left, this shipment's own drawing given back.

    Locks the licence's lines first (``SELECT ... FOR UPDATE``) so that two concurrent
    writers on PostgreSQL queue here and the second one sees the first one's shipment.
    """
    list(LicenceLine.objects.select_for_update().filter(licence=licence).values_list("pk", flat=True))
    lines = licence_lines_with_drawdown(LicenceLine.objects.filter(licence=licence), exclude_shipment_id=shipment_id)
    return {line.item_id: drawdown.LineBalance(line.unit, line.balance) for line in lines}


def _requested(lines: Iterable[Mapping[str, Any]]) -> list[drawdown.Requested]:
    return [
        drawdown.Requested(line["item"].pk, line["item"].code, Decimal(line["quantity"]), line.get("unit", "kg"))
        for line in lines
    ]


def refusals_raise(refusals: list[drawdown.Refusal], prefix: str = "") -> None:
    """Raise the refusals as one error: 409 when each is a conflict with the licence, else 400."""
    if refusals:
        cls = ConflictError if all(r.conflict for r in refusals) else DomainError
        errors: dict[str, list[ValidationError]] = {}
        for r in refusals:
            errors.setdefault(f"{prefix}{r.field}", []).append(ValidationError(r.message, code=r.code))
        raise cls(errors)


def _check_licence(
    *, shipment: Shipment, lines: list[Mapping[str, Any]], actor, force: bool, note: str
) -> bool:
    """Refuse a licence the shipment may not draw (another supplier's, revoked, expired) and
    lines that would draw it below zero; returns True when a compliance user forced the
    refusals that may be forced (over-draw, expired or revoked licence) with a note."""
    lic = shipment.licence
    refusals = drawdown.licence_refusals(
        licence_number=lic.number, licence_supplier_id=lic.supplier_id, status=lic.status,
        valid_until=lic.valid_until, supplier_id=shipment.supplier_id, actual_ship_date=shipment.actual_ship_date,
        today=clock.today(),
    )
    if not refusals or all(r.code in drawdown.FORCEABLE for r in refusals):
        refusals += drawdown.drawdown_refusals(
            licence_number=lic.number, lines=_licence_balances(lic, shipment.pk), requested=_requested(lines)
        )
    if not refusals:
        return False
    if not force or any(r.code not in drawdown.FORCEABLE for r in refusals):
        refusals_raise(refusals)
    if not has_role(actor, Role.COMPLIANCE):
        raise field_error("force", "Only a user with the compliance role may force an over-draw.", code="permission")
    if not note.strip():
        raise field_error("override_note", "Say why the over-draw is allowed.", code="required")
    return True


def _same_lines(new: list[Mapping[str, Any]], old: list[Mapping[str, Any]]) -> bool:
    def key(line: Mapping[str, Any]) -> tuple:
        item = getattr(line["item"], "pk", line["item"])
        return (item, Decimal(line["quantity"]).normalize(), line.get("unit", "kg"))

    return sorted(map(key, new)) == sorted(map(key, old))


def licences_refresh_status(licence_ids: Iterable[int], *, actor=None) -> None:
    """Active <-> exhausted as balances change, for every licence in ``licence_ids``, through
    ``licensing.services.licences_set_status`` (history and timeline rows): a constant number of
    queries for any number. Expired and revoked stay as they are (``licence_change`` decides
    those)."""
    licence_ids = set(licence_ids) - {None}
    if not licence_ids:
        return
    exhausted = licences_exhausted_ids(licence_ids)
    licensing_services.licences_set_status(
        exhausted, LicenceStatus.EXHAUSTED, reason="balance used up", actor=actor, only_from=[LicenceStatus.ACTIVE]
    )
    licensing_services.licences_set_status(
        licence_ids - exhausted, LicenceStatus.ACTIVE, reason="balance available again", actor=actor,
        only_from=[LicenceStatus.EXHAUSTED],
    )


def customs_response_due(held_on: dt.date | None, *, cal: clock.WorkingCalendar | None = None) -> dt.date | None:
    """GAC No. 123 of 2025: 7 Chinese working days after the hold, counted like the clock.
    Pass ``cal`` when computing many, so the calendar is loaded once."""
    if held_on is None:
        return None
    return (cal or clock.calendar()).add_working_days(held_on, settings.CUSTOMS_RESPONSE_WORKING_DAYS)


def _shipment_lines(
    shipment: Shipment, lines: Iterable[Mapping[str, Any]] | None, creating: bool
) -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]]]:
    """(the lines to write, or None to keep the current ones; the lines the shipment will have).
    Lines equal to the current ones count as unchanged, so a forced over-draw stays accepted
    when a form sends them back as they were."""
    current = [] if creating else [
        {"item": line.item, "quantity": line.quantity, "unit": line.unit}
        for line in shipment.lines.select_related("item")
    ]
    if lines is None:
        return None, current  # e.g. the admin's add form: lines come later through the UI or API
    lines = [dict(line) for line in lines]
    if not lines:
        raise field_error("lines", "A shipment needs at least one line.", code="required")
    if not creating and _same_lines(lines, current):
        return None, current
    return lines, lines


def _assign_licence(shipment: Shipment, licence: Licence | None | bool, lines: list, creating: bool):
    """Set the licence asked for (False: keep) and return the suggested one, which a new
    shipment without a licence gets when ``AUTO_ASSIGN_LICENCE`` is on."""
    if licence is not False:
        shipment.licence = licence
    if shipment.licence_id is not None or not shipment.supplier_id or not lines:
        return None
    suggested = licence_suggestion(supplier_id=shipment.supplier_id, lines=lines, ship_date=shipment.planned_ship_date)
    if creating and licence is False and suggested and settings.AUTO_ASSIGN_LICENCE:
        shipment.licence = suggested
    return suggested


@transaction.atomic
def shipment_save(
    *,
    shipment: Shipment | None = None,
    lines: Iterable[Mapping[str, Any]] | None = None,
    licence: Licence | None | bool = False,
    actor=None,
    force: bool = False,
    override_note: str = "",
    **fields: Any,
) -> Shipment:
    """Create or update a shipment and its lines, drawing down its licence (docs/architecture.md#drawdown).

    ``licence``: a Licence to assign, None to unassign, or False (the default) to keep the
    current one; a new shipment without one gets the suggested licence when
    ``AUTO_ASSIGN_LICENCE`` is on (``shipment.suggested_licence`` says which either way).
    An over-draw, or a licence that has expired or is revoked, raises ``ConflictError`` naming
    the licence (and item, balance and amount), unless a compliance user forces it with a note,
    which is recorded on the shipment. ``shipment.warnings`` lists what was accepted with a
    warning (planned to ship after the licence ends).
    """
    _refuse_unknown(fields, SHIPMENT_FIELDS)
    creating = shipment is None
    shipment = Shipment() if creating else Shipment.objects.select_for_update().get(pk=shipment.pk)
    old_licence_id = shipment.licence_id
    for name, value in fields.items():
        setattr(shipment, name, value)
    lines, current_lines = _shipment_lines(shipment, lines, creating)
    suggested = _assign_licence(shipment, licence, current_lines, creating)
    if shipment.status == ShipmentStatus.HELD and shipment.held_on is None:
        raise field_error("held_on", "Give the day customs held the shipment.", code="required")
    if shipment.eta and shipment.planned_ship_date and shipment.eta < shipment.planned_ship_date:
        raise field_error("eta", SHIPMENT_ETA_MESSAGE, code="invalid_range")
    shipment.customs_response_due = customs_response_due(shipment.held_on)
    purchase_order_check_supplier(shipment.purchase_order, shipment.supplier_id)
    forced = False
    # A refusal forced earlier stays accepted while the shipment's licence and lines stay the same.
    unchanged = not creating and lines is None and shipment.licence_id == old_licence_id
    if shipment.licence is not None and shipment.status != ShipmentStatus.CANCELLED:
        if not (unchanged and shipment.overdraw_override):
            forced = _check_licence(
                shipment=shipment, lines=current_lines, actor=actor, force=force, note=override_note
            )
    if forced:
        shipment.overdraw_override, shipment.override_note, shipment.override_by = True, override_note, actor
    save_validated(shipment, actor=actor, reason="over-draw forced" if forced else "saved")
    if lines is not None:
        shipment.lines.all().delete()
        lines_create(ShipmentLine, "shipment", shipment, lines, actor=actor)
    licences_refresh_status({old_licence_id, shipment.licence_id}, actor=actor)
    shipment.suggested_licence = suggested
    shipment.warnings = drawdown.shipment_warnings(shipment)
    return shipment


@transaction.atomic
def shipment_delete(*, shipment: Shipment, actor=None) -> None:
    """Delete a shipment; the balance it drew returns to its licence (which may become active again)."""
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    licence_id = shipment.licence_id
    shipment._history_user = actor if getattr(actor, "is_authenticated", False) else None
    shipment.delete()
    licences_refresh_status({licence_id}, actor=actor)


def licence_change(*, licence: Licence, actor=None, revoked: bool | None = None, **fields: Any) -> Licence:
    """``licensing.services.licence_change`` (header, revoke, reinstate, expiry) followed by the
    balance check, so a reinstated or extended licence with nothing left is exhausted."""
    with transaction.atomic():
        licence = licensing_services.licence_change(licence=licence, actor=actor, revoked=revoked, **fields)
        licences_refresh_status({licence.pk}, actor=actor)
        licence.refresh_from_db(fields=["status", "updated_at"])
    return licence


def shipments_refresh_customs_due(*, cal: clock.WorkingCalendar | None = None) -> int:
    """Recompute the customs windows of held shipments (after a calendar override). Called on
    commit of a calendar change (``licensing.signals.calendar_changed``, connected in
    ``ShipmentsConfig.ready``) and by the periodic scan, which repairs a missed wake-up.
    The calendar is loaded once and the changes written in batches of 500, so the query
    count does not grow with the number of held shipments. Returns how many changed."""
    cal = cal or clock.calendar()
    held = Shipment.objects.filter(status=ShipmentStatus.HELD, held_on__isnull=False)
    changed = []
    for shipment in held.only("pk", "held_on", "customs_response_due").order_by("pk"):
        due = customs_response_due(shipment.held_on, cal=cal)
        if due != shipment.customs_response_due:
            shipment.customs_response_due = due
            changed.append(shipment)
    if changed:
        with transaction.atomic():
            Shipment.objects.bulk_update(changed, ["customs_response_due"], batch_size=500)
    return len(changed)


@transaction.atomic
def shipment_document_attach(*, shipment: Shipment, **fields: Any) -> Document:
    """Store a document (``licensing.documents.document_attach``: content checks, random name)
    and link it to ``shipment``, in one transaction."""
    document = document_attach(**fields)
    ShipmentDocument.objects.create(shipment=shipment, document=document)
    return document


# --- Customs answers ----------------------------------------------------------------------------


def _shipment_touch(shipment_id: int) -> None:
    """A shipment's representation carries its latest customs answer (shipments/api): an
    answer written, confirmed or rejected touches ``updated_at`` so that an ERP syncing by
    ``updated_since`` sees it, as every status write does (docs/architecture.md#api)."""
    Shipment.objects.filter(pk=shipment_id).update(updated_at=timezone.now())


def _answerer(actor, contact) -> str:
    if contact is not None:
        return f"{contact.name} (supplier)"
    if getattr(actor, "is_authenticated", False):
        return actor.get_full_name() or actor.get_username()
    return "the system"


@transaction.atomic
def customs_answer_record(
    *, shipment: Shipment, text: str, file=None, actor=None, contact=None, ip: str | None = None,
) -> CustomsAnswer:
    """Record the answer to the customs hold of ``shipment`` (docs/architecture.md#customs-holds).

    Procurement's answer (``actor``) is recorded at once. A supplier contact's answer
    (``contact``, from the portal) is recorded as answered by "<contact> (supplier)" and held
    for procurement's confirmation unless the supplier's reports apply at once
    (``Supplier.portal_apply_reports``), as with a MOFCOM step. The optional file passes the
    content checks of every upload and is linked to the shipment."""
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if contact is not None and contact.supplier_id != shipment.supplier_id:
        raise DomainError({"shipment": "Not a shipment of this supplier."})
    if shipment.status != ShipmentStatus.HELD or shipment.held_on is None:
        raise field_error("shipment", "This shipment is not held by customs.", code="not_held", cls=ConflictError)
    if not (text or "").strip():
        raise field_error("text", "Give the answer to customs.", code="required")
    answer = CustomsAnswer(
        shipment=shipment, held_on=shipment.held_on, text=text.strip(), contact=contact, ip=ip,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        answered_by=_answerer(actor, contact)[:250],
    )
    answer.full_clean(exclude=["document"])
    if file is not None:
        answer.document = shipment_document_attach(shipment=shipment, file=file, kind=Document.Kind.OTHER,
                                                   actor=actor)
    applies = contact is None or contact.supplier.portal_apply_reports
    save_validated(answer, actor=actor, reason=f"customs answered by {answer.answered_by}")
    if applies:
        return customs_answer_apply(answer=answer, actor=actor)
    _shipment_touch(shipment.pk)
    return answer


@transaction.atomic
def customs_answer_apply(*, answer: CustomsAnswer, actor=None) -> CustomsAnswer:
    """Take a held answer as the shipment's answer to customs (procurement confirms it)."""
    answer = CustomsAnswer.objects.select_for_update().get(pk=answer.pk)
    if answer.status != CustomsAnswerStatus.HELD:
        raise field_error("answer", f"This answer is already {answer.status}.", code="not_held", cls=ConflictError)
    answer.status, answer.decided_at = CustomsAnswerStatus.APPLIED, timezone.now()
    answer.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    reason = f"customs answered by {answer.answered_by}"
    if answer.contact_id is not None and answer.decided_by is not None:
        reason += ", confirmed by " + _answerer(answer.decided_by, None)
    save_validated(answer, actor=actor, reason=reason)
    _shipment_touch(answer.shipment_id)
    return answer


@transaction.atomic
def customs_answer_reject(*, answer: CustomsAnswer, actor=None, reason: str) -> CustomsAnswer:
    """Refuse a supplier's held answer; the supplier sees the reason on the portal."""
    if not (reason or "").strip():
        raise field_error("reason", "Say why, for the supplier.", code="required")
    answer = CustomsAnswer.objects.select_for_update().get(pk=answer.pk)
    if answer.status != CustomsAnswerStatus.HELD:
        raise field_error("answer", f"This answer is already {answer.status}.", code="not_held", cls=ConflictError)
    answer.status, answer.reject_reason = CustomsAnswerStatus.REJECTED, reason.strip()
    answer.decided_at = timezone.now()
    answer.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    save_validated(answer, actor=actor, reason="customs answer rejected")
    _shipment_touch(answer.shipment_id)
    return answer

"""Writes for suppliers, purchase orders and shipments, with the licence drawdown rules
of DESIGN §5: over-draws refused (or forced by compliance with a note), suggestions,
customs-hold windows and licence status kept in step, all in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from core.errors import ConflictError, DomainError, field_error
from core.roles import Role, has_role
from licensing import clock
from licensing.models import Licence, LicenceLine, LicenceStatus
from licensing.services import _lines, _save, licence_update

from .models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    Supplier,
)
from .selectors import TO_BASE, licence_lines_with_drawdown, licence_suggestion, licences_exhausted_ids

SUPPLIER_FIELDS = frozenset(
    {
        "name", "local_name", "country", "uscc", "contact_name", "contact_email", "phone", "active", "notes",
        "external_ref",
    }
)
PO_FIELDS = frozenset({"number", "supplier", "order_date", "needed_by", "status", "notes", "external_ref"})
SHIPMENT_FIELDS = frozenset(
    {
        "supplier", "purchase_order", "reference", "status", "transport_mode", "planned_ship_date",
        "actual_ship_date", "eta", "arrived_on", "held_on", "notes", "external_ref",
    }
)


def _refuse_unknown(fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    if unknown := set(fields) - allowed:
        raise DomainError({name: "This field cannot be set here." for name in sorted(unknown)})


# --- Suppliers and purchase orders ------------------------------------------------------------


@transaction.atomic
def supplier_save(*, supplier: Supplier | None = None, actor=None, **fields: Any) -> Supplier:
    _refuse_unknown(fields, SUPPLIER_FIELDS)
    supplier = supplier or Supplier()
    for name, value in fields.items():
        setattr(supplier, name, value)
    supplier.uscc = supplier.uscc.upper()
    supplier.country = supplier.country.upper()
    _save(supplier, actor=actor, reason="saved")
    return supplier


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
        raise field_error("needed_by", "The needed-by date cannot be before the order date.", code="invalid_range")
    if po.status != PurchaseOrder.Status.OPEN:
        # Only open orders can be late for want of a licence (suppliers.risk); a closed or
        # cancelled one must not keep a flag from when it was open.
        po.at_risk, po.expected_arrival = False, None
    _save(po, actor=actor, reason="saved")
    if lines is not None:
        po.lines.all().delete()
        _lines(PurchaseOrderLine, "purchase_order", po, lines, actor=actor)
    return po


# --- Shipments and drawdown ---------------------------------------------------------------------


def _check_drawdown(
    *, licence: Licence, lines: list[Mapping[str, Any]], shipment_id: int | None, actor, force: bool, note: str
) -> bool:
    """Refuse lines that would draw the licence below zero; returns True when forced.

    Locks the licence's lines first (``SELECT ... FOR UPDATE``) so that two concurrent
    writers on PostgreSQL queue here and the second one sees the first one's shipment.
    """
    list(LicenceLine.objects.select_for_update().filter(licence=licence).values_list("pk", flat=True))
    by_item = {
        line.item_id: line
        for line in licence_lines_with_drawdown(
            LicenceLine.objects.filter(licence=licence).select_related("item"), exclude_shipment_id=shipment_id
        )
    }
    errors: dict[str, str] = {}
    asked: dict[int, Decimal] = {}
    for i, data in enumerate(lines):
        item = data["item"]
        line = by_item.get(item.pk)
        if line is None:
            raise field_error(
                f"lines[{i}].item", f"Licence {licence.number} has no line for item {item.code}.",
                code="not_on_licence", cls=ConflictError,
            )
        unit = data.get("unit", "kg")
        if (unit == "pcs") != (line.unit == "pcs"):
            raise field_error(
                f"lines[{i}].unit", f"Licence {licence.number} counts {item.code} in {line.unit}, not {unit}.",
                code="unit_mismatch",
            )
        asked[item.pk] = asked.get(item.pk, Decimal(0)) + Decimal(data["quantity"]) * TO_BASE[unit] / TO_BASE[line.unit]
        if asked[item.pk] > line.balance:
            errors[f"lines[{i}].quantity"] = (
                f"Licence {licence.number} has {line.balance.normalize():f} {line.unit} of {item.code} left; "
                f"this shipment asks for {asked[item.pk].normalize():f} {line.unit}."
            )
    if not errors:
        return False
    if not force:
        raise ConflictError({k: ValidationError(v, code="overdraw") for k, v in errors.items()})
    if not has_role(actor, Role.COMPLIANCE):
        raise field_error("force", "Only a user with the compliance role may force an over-draw.", code="permission")
    if not note.strip():
        raise field_error("override_note", "Say why the over-draw is allowed.", code="required")
    return True


def licences_refresh_status(licence_ids: Iterable[int]) -> None:
    """Active <-> exhausted as balances change, for every licence in ``licence_ids``: three
    queries for any number. Expired and revoked stay as they are (``licence_change`` decides
    those)."""
    licence_ids = set(licence_ids) - {None}
    if not licence_ids:
        return
    exhausted = licences_exhausted_ids(licence_ids)
    Licence.objects.filter(pk__in=exhausted, status=LicenceStatus.ACTIVE).update(status=LicenceStatus.EXHAUSTED)
    Licence.objects.filter(pk__in=licence_ids - exhausted, status=LicenceStatus.EXHAUSTED).update(
        status=LicenceStatus.ACTIVE
    )


def customs_response_due(held_on: dt.date | None, *, cal: clock.WorkingCalendar | None = None) -> dt.date | None:
    """GAC No. 123 of 2025: 7 Chinese working days after the hold, counted like the clock.
    Pass ``cal`` when computing many, so the calendar is loaded once."""
    if held_on is None:
        return None
    return (cal or clock.calendar()).add_working_days(held_on, settings.CUSTOMS_RESPONSE_WORKING_DAYS)


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
    """Create or update a shipment and its lines, drawing down its licence (DESIGN §5).

    ``licence``: a Licence to assign, None to unassign, or False (the default) to keep the
    current one; a new shipment without one gets the suggested licence when
    ``AUTO_ASSIGN_LICENCE`` is on (``shipment.suggested_licence`` says which either way).
    An over-draw raises ``ConflictError`` naming licence, item, balance and amount, unless a
    compliance user forces it with a note, which is recorded on the shipment.
    """
    _refuse_unknown(fields, SHIPMENT_FIELDS)
    creating = shipment is None
    shipment = Shipment() if creating else Shipment.objects.select_for_update().get(pk=shipment.pk)
    old_licence_id = shipment.licence_id
    for name, value in fields.items():
        setattr(shipment, name, value)
    if lines is not None:
        lines = [dict(line) for line in lines]
        if not lines:
            raise field_error("lines", "A shipment needs at least one line.", code="required")
        current_lines = lines
    elif creating:
        current_lines = []  # e.g. the admin's add form: lines come later through the UI or API
    else:
        current_lines = [
            {"item": line.item, "quantity": line.quantity, "unit": line.unit}
            for line in shipment.lines.select_related("item")
        ]
    if licence is not False:
        shipment.licence = licence
    suggested = None
    if shipment.licence_id is None and shipment.supplier_id and current_lines:
        suggested = licence_suggestion(
            supplier_id=shipment.supplier_id, lines=current_lines, ship_date=shipment.planned_ship_date
        )
        if creating and licence is False and suggested and settings.AUTO_ASSIGN_LICENCE:
            shipment.licence = suggested
    if shipment.status == ShipmentStatus.HELD and shipment.held_on is None:
        raise field_error("held_on", "Give the day customs held the shipment.", code="required")
    shipment.customs_response_due = customs_response_due(shipment.held_on)

    lic = shipment.licence
    if lic is not None:
        if lic.supplier_id != shipment.supplier_id:
            raise field_error("licence", f"Licence {lic.number} belongs to another supplier.", code="wrong_supplier")
        if lic.status == LicenceStatus.REVOKED:
            raise field_error("licence", f"Licence {lic.number} is revoked.", code="revoked", cls=ConflictError)
    draws = lic is not None and shipment.status != ShipmentStatus.CANCELLED
    forced = False
    # An over-draw forced earlier stays accepted while its licence and lines stay the same.
    unchanged = not creating and lines is None and shipment.licence_id == old_licence_id
    if draws and not (unchanged and shipment.overdraw_override):
        forced = _check_drawdown(
            licence=lic, lines=current_lines, shipment_id=shipment.pk, actor=actor, force=force, note=override_note
        )
    if forced:
        shipment.overdraw_override = True
        shipment.override_note = override_note
        shipment.override_by = actor
    _save(shipment, actor=actor, reason="over-draw forced" if forced else "saved")
    if lines is not None:
        shipment.lines.all().delete()
        _lines(ShipmentLine, "shipment", shipment, lines, actor=actor)
    licences_refresh_status({old_licence_id, shipment.licence_id})
    shipment.suggested_licence = suggested
    return shipment


@transaction.atomic
def shipment_delete(*, shipment: Shipment, actor=None) -> None:
    """Delete a shipment; the balance it drew returns to its licence (which may become active again)."""
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    licence_id = shipment.licence_id
    shipment._history_user = actor if getattr(actor, "is_authenticated", False) else None
    shipment.delete()
    licences_refresh_status({licence_id})


def licence_change(*, licence: Licence, actor=None, revoked: bool | None = None, **fields: Any) -> Licence:
    """Change a licence's header, revoke it (``revoked=True``) or reinstate it (``False``).

    The one place that decides a licence's status after a change; no caller sets it: revoked
    stays revoked; otherwise expired if ``valid_until`` is before today (Shanghai), otherwise
    the balances decide active or exhausted. So a licence whose validity is extended comes
    back from expired, and one reinstated after its end date is expired, not active.
    """
    if "status" in fields:
        raise field_error(
            "status",
            "A licence's status follows its balances and dates; it can only be revoked or reinstated.",
            code="invalid_choice",
        )
    with transaction.atomic():
        current = Licence.objects.select_for_update().get(pk=licence.pk)
        valid_until = fields.get("valid_until", current.valid_until)
        if revoked or (revoked is None and current.status == LicenceStatus.REVOKED):
            status = LicenceStatus.REVOKED
        elif isinstance(valid_until, dt.date) and valid_until < clock.today():
            status = LicenceStatus.EXPIRED
        elif current.status == LicenceStatus.EXHAUSTED:
            status = LicenceStatus.EXHAUSTED  # the balance refresh below may make it active
        else:
            status = LicenceStatus.ACTIVE  # likewise exhausted if nothing is left
        licence = licence_update(licence=current, actor=actor, status=status, **fields)
        licences_refresh_status({licence.pk})
        licence.refresh_from_db(fields=["status"])
    return licence


def shipments_refresh_customs_due() -> int:
    """Recompute the customs windows of held shipments (after a calendar override). Called on
    commit of a calendar change (``licensing.signals.calendar_changed``, connected in
    ``SuppliersConfig.ready``) and by the periodic scan, which repairs a missed wake-up.
    The calendar is loaded once and the changes written in batches of 500, so the query
    count does not grow with the number of held shipments. Returns how many changed."""
    cal = clock.calendar()
    held = Shipment.objects.filter(status=ShipmentStatus.HELD, held_on__isnull=False)
    changed = []
    for shipment in held.only("pk", "held_on", "customs_response_due").order_by("pk"):
        due = customs_response_due(shipment.held_on, cal=cal)
        if due != shipment.customs_response_due:
            shipment.customs_response_due = due
            changed.append(shipment)
    with transaction.atomic():
        Shipment.objects.bulk_update(changed, ["customs_response_due"], batch_size=500)
    return len(changed)

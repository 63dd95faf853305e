"""Writes for the licensing core. Every state change goes through one function here that
validates it, writes the timeline event and the history, in one transaction
(docs/architecture.md#where-rules-live)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from core.errors import ConflictError, DomainError, field_error
from core.parsing import DATE_MESSAGE, ParseError, parse_date
from core.services import field_errors, lines_create, save_validated
from core.validators import validate_date_range
from suppliers.services import purchase_order_check_supplier

from . import analytics, clock
from .models import (
    LEAD_DAYS_MESSAGE,
    ApplicationEvent,
    ApplicationLine,
    ApplicationStatus,
    CalendarOverride,
    ControlledItem,
    Licence,
    LicenceApplication,
    LicenceEvent,
    LicenceLine,
    LicenceStatus,
    PolicyCalendarReview,
    PolicyEvent,
    PublishedCalendarYear,
)
from .models.applications import TRANSITIONS
from .predictions import predictions_refresh
from .selectors import application_clock
from .signals import application_status_changed, calendar_changed, licence_created

S = ApplicationStatus
CORRECTION_REASON_MESSAGE = "Say why the step is corrected: the reason stays in the timeline."

APPLICATION_FIELDS = frozenset(
    {
        "external_ref", "supplier", "purchase_order", "contract_number", "end_user", "end_use",
        "destination_country", "consignee", "transport_mode", "customs_port", "kind", "mofcom_number",
        "time_limit_exemption", "owner", "notes",
    }
)


# --- Applications ---------------------------------------------------------------------------


CLOCK_COLUMNS = ("decision_due", "decision_due_estimated", "decision_working_days")


def _set_clock(application: LicenceApplication, *, cal: clock.WorkingCalendar | None) -> list[str]:
    """Recompute the clock columns on the instance; returns the names that changed."""
    events = list(application.events.all())
    c = application_clock(application, cal=cal, events=events)
    decided = application.decided_on is not None and application.accepted_on is not None
    fields = {
        "decision_due": c.decision_due,
        "decision_due_estimated": c.estimated,
        "decision_working_days": c.working_days_elapsed if decided else None,
    }
    changed = [name for name, value in fields.items() if getattr(application, name) != value]
    for name in changed:
        setattr(application, name, fields[name])
    return changed


def application_refresh_clock(application: LicenceApplication, *, cal: clock.WorkingCalendar | None = None) -> None:
    """Recompute and store the clock columns (due date, estimated, working days to decision)."""
    if changed := _set_clock(application, cal=cal):
        LicenceApplication.objects.filter(pk=application.pk).update(**{n: getattr(application, n) for n in changed})


def applications_refresh_clocks(
    queryset: QuerySet[LicenceApplication] | None = None, *, cal: clock.WorkingCalendar | None = None
) -> int:
    """Recompute stored clocks after a calendar override, a setting change, or daily for open
    supplement periods (their due date moves out one working day at a time). Returns how many
    were recomputed. The calendar is loaded once (or passed in), the rows and their events read
    500 at a time in id order and the changed rows written with one ``bulk_update`` per 500, in
    one transaction: the number of queries grows with the batches, not with the rows, and none
    matching costs one query (no transaction is opened for nothing)."""
    queryset = queryset if queryset is not None else LicenceApplication.objects.filter(accepted_on__isnull=False)
    queryset = queryset.order_by("pk").prefetch_related("events")
    batch = list(queryset[:500])
    if not batch:
        return 0
    cal = cal or clock.calendar()
    n = 0
    with transaction.atomic():
        while batch:
            changed = [application for application in batch if _set_clock(application, cal=cal)]
            LicenceApplication.objects.bulk_update(changed, CLOCK_COLUMNS)
            n += len(batch)
            batch = list(queryset.filter(pk__gt=batch[-1].pk)[:500]) if len(batch) == 500 else []
        transaction.on_commit(analytics.delay_stats_invalidate)  # working days to decision may have moved
    return n


@transaction.atomic
def application_create(
    *,
    lines: Iterable[Mapping[str, Any]] = (),
    events: Iterable[Mapping[str, Any]] = (),
    actor=None,
    api_client: str = "",
    **fields: Any,
) -> LicenceApplication:
    """Create an application in ``draft``; ``events`` (``{"to", "on", "note"}``) back-load its
    history through the same transition rules as any later step."""
    if unknown := set(fields) - APPLICATION_FIELDS:
        raise DomainError({name: "This field cannot be set here." for name in sorted(unknown)})
    application = LicenceApplication(**fields, status=S.DRAFT, reference=f"tmp-{uuid.uuid4().hex[:16]}")
    purchase_order_check_supplier(application.purchase_order, application.supplier_id)
    save_validated(application, actor=actor, reason="created")
    # The reference follows the row id, so two concurrent creations can never collide.
    temporary, application.reference = application.reference, f"LA-{application.created_at:%Y}-{application.pk:05d}"
    LicenceApplication.objects.filter(pk=application.pk).update(reference=application.reference)
    application.history.filter(reference=temporary).update(reference=application.reference)  # audit shows the real one
    lines_create(ApplicationLine, "application", application, lines, actor=actor)
    for i, step in enumerate(events):
        try:
            application = application_transition(
                application=application, to=step.get("to", ""), on=step.get("on"), note=step.get("note", ""),
                licence=step.get("licence"), actor=actor, api_client=api_client,
            )
        except ValidationError as exc:
            raise type(exc)({f"events[{i}].{k}": v for k, v in exc.message_dict.items()}) from exc
    return application


@transaction.atomic
def application_update(
    *, application: LicenceApplication, lines: Iterable[Mapping[str, Any]] | None = None, actor=None, **fields: Any
) -> LicenceApplication:
    """Change an application's details (never its status: see ``application_transition``)."""
    if unknown := set(fields) - APPLICATION_FIELDS:
        raise DomainError({name: "This field cannot be changed here." for name in sorted(unknown)})
    application = LicenceApplication.objects.select_for_update().get(pk=application.pk)
    clock_inputs_changed = any(
        name in fields and fields[name] != getattr(application, name) for name in ("kind", "time_limit_exemption")
    )
    for name, value in fields.items():
        setattr(application, name, value)
    purchase_order_check_supplier(application.purchase_order, application.supplier_id)
    save_validated(application, actor=actor, reason="updated")
    if lines is not None:
        application.lines.all().delete()
        lines_create(ApplicationLine, "application", application, lines, actor=actor)
    if clock_inputs_changed:
        application_refresh_clock(application)
    return application


def _parse_date(value: Any, field: str) -> dt.date:
    """A service argument that may come as text (``core.parsing.parse_date``), within the
    product's date range (``core.validators.validate_date_range``), as a field error."""
    try:
        day = parse_date(value)
        validate_date_range(day)
    except ParseError as exc:
        raise field_error(field, str(exc), code=exc.code) from exc
    except ValidationError as exc:
        raise DomainError({field: exc.error_list}) from exc
    if day is None:
        raise field_error(field, DATE_MESSAGE, code="invalid_date")
    return day


def _step_date(on: Any, *, previous: dt.date | None) -> dt.date:
    """A step's date: given, not after today, and not before the step before it."""
    if on in (None, ""):
        raise field_error("on", "Give the date the step happened.", code="required")
    on = _parse_date(on, "on")
    today = clock.today()
    if on > today:
        raise field_error("on", f"The step is dated {on}, after today ({today}).", code="date_in_future")
    if previous is not None and on < previous:
        raise field_error(
            "on", f"The step is dated {on}, before the previous step ({previous}).", code="date_before_previous_step"
        )
    return on


def _apply_step(application: LicenceApplication, to: str, on: dt.date) -> None:
    """The status and the dates one step sets on its application."""
    application.status = to
    if to == S.SUBMITTED:
        application.submitted_on = on
    elif to == S.ACCEPTED and application.accepted_on is None:
        application.accepted_on = on  # back from a supplement keeps the first acceptance date
    elif to in (S.APPROVED, S.REJECTED):
        application.decided_on = on
    if to in (S.APPROVED, S.REJECTED, S.WITHDRAWN):
        application.closed_on = on


@transaction.atomic
def application_transition(
    *,
    application: LicenceApplication,
    to: str,
    on: dt.date | str | None,
    actor=None,
    api_client: str = "",
    note: str = "",
    licence: Mapping[str, Any] | None = None,
    reported_by: str = "",
) -> LicenceApplication:
    """The one door for status changes (docs/architecture.md#workflow).

    ``reported_by`` names the supplier contact who reported the step through the supplier
    portal; the timeline and the history then say "reported by <contact> (supplier)".

    Refuses a move the transition table does not allow (409), a step dated after today or
    before the previous dated step (400). Writes the timeline event, the dates, the clock
    and, for ``approved`` with ``licence`` data, the licence; all or nothing.
    """
    application = LicenceApplication.objects.select_for_update().get(pk=application.pk)
    if to not in S.values:
        raise field_error("to", f"'{to}' is not a status. Statuses: {', '.join(S.values)}.", code="invalid_choice")
    if to not in TRANSITIONS[application.status]:
        allowed = ", ".join(TRANSITIONS[application.status]) or "none (the status is final)"
        raise field_error(
            "to",
            f"{application.reference} cannot move from '{application.status}' to '{to}'. Allowed: {allowed}.",
            code="transition_not_allowed",
            cls=ConflictError,
        )
    last = application.events.order_by("-on", "-id").values_list("on", flat=True).first()
    on = _step_date(on, previous=last)
    if licence is not None and to != S.APPROVED:
        raise field_error("licence", "A licence can only come with the 'approved' step.", code="unexpected")

    event = ApplicationEvent(
        application=application,
        from_status=application.status,
        to_status=to,
        on=on,
        note=note,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        api_client=api_client,
        reported_by=reported_by,
    )
    # The note's length and characters (core.validators), without re-reading the locked application.
    if errors := field_errors(event):
        raise DomainError(errors)
    event.save()
    _apply_step(application, to, on)
    reason = f"{event.from_status} -> {to}" + (f", reported by {reported_by} (supplier)" if reported_by else "")
    save_validated(application, actor=actor, reason=reason)
    application_refresh_clock(application)

    if licence is not None:
        licence_create(
            application=application,
            supplier=application.supplier,
            kind=licence.get("kind", application.kind),
            number=licence.get("number", ""),
            valid_from=licence.get("valid_from") or on,
            valid_until=licence.get("valid_until"),
            lines=licence.get("lines", ()),
            external_ref=licence.get("external_ref", ""),
            actor=actor,
            field_prefix="licence.",
        )
    transaction.on_commit(
        lambda: application_status_changed.send(sender=LicenceApplication, application=application, event=event)
    )
    transaction.on_commit(analytics.delay_stats_invalidate)  # a decision (or a new pending one) changes them
    return application


# What draws on a licence, from the apps above licensing that may not be imported here
# (docs/architecture.md#layers); each registers in its AppConfig.ready():
# callable(licence ids) -> {licence id: ["shipment COSU6281734", ...]}.
LICENCE_DRAWN_BY: list[Callable[[list[int]], dict[int, list[str]]]] = []

CORRECTIONS = ("undo", "redate")


def licences_drawn_by(licence_ids: Iterable[int]) -> dict[int, list[str]]:
    """What draws on each of these licences (empty lists are left out)."""
    ids, drawn = list(licence_ids), {}
    for source in LICENCE_DRAWN_BY:
        for licence_id, names in source(ids).items():
            drawn.setdefault(licence_id, []).extend(names)
    return {k: v for k, v in drawn.items() if v}


def _dates_from_steps(application: LicenceApplication, steps: list[ApplicationEvent]) -> None:
    """The status and the dates of each step, as the standing steps say (oldest first): what
    ``application_transition`` would have stored had the voided step never been recorded."""
    application.status = S.DRAFT
    application.submitted_on = application.accepted_on = application.decided_on = application.closed_on = None
    for step in steps:
        _apply_step(application, step.to_status, step.on)


def correction_consequences(application: LicenceApplication, action: str) -> dict[str, Any]:
    """What correcting the last step would do, for the confirmation dialog and the service:
    ``step`` (the last standing step or None), ``back_to`` (the status after an undo),
    ``licences`` (the licences an undone approval revokes) and ``blocked`` (why it cannot be
    done: the licences still drawn by shipments)."""
    step = application.events.order_by("-on", "-id").first()
    result: dict[str, Any] = {"step": step, "back_to": None, "licences": [], "blocked": ""}
    if step is None:
        return result
    result["back_to"] = step.from_status or S.DRAFT
    if action == "undo" and step.to_status == S.APPROVED:
        licences = list(application.licences.exclude(status=LicenceStatus.REVOKED).order_by("pk"))
        drawn = licences_drawn_by([lic.pk for lic in licences])
        result["licences"] = licences
        if drawn:
            result["blocked"] = " ".join(
                f"Licence {lic.number} is drawn by {', '.join(drawn[lic.pk])}." for lic in licences if lic.pk in drawn
            ) + " Move those to another licence (or cancel them) before undoing the approval."
    return result


@transaction.atomic
def application_correct_last_step(
    *,
    application: LicenceApplication,
    action: str,
    reason: str,
    on: dt.date | str | None = None,
    actor=None,
    api_client: str = "",
) -> LicenceApplication:
    """Correct the last step of the timeline, recorded by mistake: ``undo`` it, or ``redate`` it
    to ``on`` (docs/architecture.md#workflow). Compliance work: the doors check the role.

    Nothing is deleted: the step is marked voided with who, when and ``reason`` (required) and
    stays in the timeline; a new date records the same step again, pointing at the voided one.
    The status, the dates and the clock are recomputed from the steps that stand, and the
    predictions after commit. Undoing an approval revokes its licences through
    ``licences_set_status``, and is refused (409) while shipments draw on them. A voided step
    that had not alerted yet never alerts; a re-dated step alerts only if the first had not.
    """
    application = LicenceApplication.objects.select_for_update().get(pk=application.pk)
    if action not in CORRECTIONS:
        raise field_error("action", f"'{action}' is not a correction. Choose from: {', '.join(CORRECTIONS)}.",
                          code="invalid_choice")
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", CORRECTION_REASON_MESSAGE, code="required")
    steps = list(application.events.order_by("on", "id"))
    if not steps:
        raise field_error("action", f"{application.reference} has no step to correct.", code="no_step",
                          cls=ConflictError)
    last = steps[-1]
    if action == "redate":
        on = _redate_check(on, last, steps[-2] if len(steps) > 1 else None)
    plan = correction_consequences(application, action)
    if plan["blocked"]:
        raise field_error("action", plan["blocked"], code="licence_drawn", cls=ConflictError)

    user = actor if getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    last.voided_at, last.voided_by, last.void_reason = now, user, reason
    if errors := field_errors(last, only=["void_reason"]):
        raise DomainError({"reason": errors["void_reason"]})
    alerted = last.processed_at is not None
    last.processed_at = last.processed_at or now  # a step voided before the scan saw it never alerts
    last.save(update_fields=["voided_at", "voided_by", "void_reason", "processed_at"])
    steps.pop()
    if action == "redate":
        steps.append(ApplicationEvent.objects.create(
            application=application, from_status=last.from_status, to_status=last.to_status, on=on, note=last.note,
            recorded_by=user, api_client=api_client, reported_by=last.reported_by, replaces=last,
            processed_at=now if alerted else None,
        ))
    _dates_from_steps(application, steps)
    verb = f"re-dated from {last.on} to {on}" if action == "redate" else "undone"
    save_validated(application, actor=actor, reason=f"correction: {last.to_status} step {verb}"[:100])
    application_refresh_clock(application)
    if plan["licences"]:
        licences_set_status(
            [lic.pk for lic in plan["licences"]], LicenceStatus.REVOKED,
            reason=f"approval of {application.reference} undone"[:200], actor=actor,
        )
    _after_correction(application, steps[-1] if action == "redate" else last)
    return application


def _redate_check(on: Any, last: ApplicationEvent, previous: ApplicationEvent | None) -> dt.date:
    """The new date of the last step: given, not after today, not before the step before it,
    and not the date it already has."""
    on = _step_date(on, previous=previous.on if previous is not None else None)
    if on == last.on:
        raise field_error("on", f"The step is already dated {on}.", code="unchanged")
    return on


def _after_correction(application: LicenceApplication, event: ApplicationEvent) -> None:
    """After commit: the same wake-up as a step (the outbox, and the analytics when the step
    was a decision), the delay statistics, and this application's prediction at once."""
    transaction.on_commit(lambda: application_status_changed.send(
        sender=LicenceApplication, application=application, event=event, corrected=True
    ))
    transaction.on_commit(analytics.delay_stats_invalidate)
    transaction.on_commit(lambda: predictions_refresh(LicenceApplication.objects.filter(pk=application.pk)))


# --- Licences -------------------------------------------------------------------------------


def licence_validity_warnings(kind: str, valid_from: dt.date, valid_until: dt.date) -> list[str]:
    """Longer than the regulations' maximum is accepted with a warning: practice varies."""
    years = settings.LICENCE_MAX_VALIDITY_YEARS[kind]
    try:
        limit = valid_from.replace(year=valid_from.year + years)
    except ValueError:  # 29 February
        limit = valid_from.replace(year=valid_from.year + years, day=28)
    if valid_until > limit:
        plural = "s" if years > 1 else ""
        return [f"A {kind} licence normally runs at most {years} year{plural}; this one runs to {valid_until}."]
    return []


def _check_validity(valid_from: dt.date, valid_until: dt.date) -> None:
    if valid_from and valid_until and valid_until < valid_from:
        raise field_error("valid_until", "The licence cannot end before it starts.", code="invalid_range")


@transaction.atomic
def licence_create(
    *,
    number: str,
    supplier,
    valid_from: dt.date | str,
    valid_until: dt.date | str | None,
    lines: Iterable[Mapping[str, Any]],
    kind: str = "single",
    application: LicenceApplication | None = None,
    external_ref: str = "",
    notes: str = "",
    actor=None,
    field_prefix: str = "",
) -> Licence:
    """Record a licence with its lines. ``licence.warnings`` lists what was accepted with a warning."""
    try:
        if valid_until in (None, ""):
            raise field_error("valid_until", "Give the last day the licence is valid.", code="required")
        valid_from = _parse_date(valid_from, "valid_from")
        valid_until = _parse_date(valid_until, "valid_until")
        _check_validity(valid_from, valid_until)
        if application is not None and application.supplier_id != getattr(supplier, "pk", supplier):
            raise field_error(
                "application", f"Application {application.reference} is filed by another supplier.",
                code="wrong_supplier",
            )
        lines = list(lines)
        if not lines:
            raise field_error("lines", "A licence needs at least one line.", code="required")
        items = [line.get("item") for line in lines]
        if len(set(items)) != len(items):
            raise field_error("lines", "Each item may appear on one line only.", code="duplicate_item")
        licence = Licence(
            number=number, supplier=supplier, kind=kind, valid_from=valid_from, valid_until=valid_until,
            application=application, external_ref=external_ref, notes=notes,
            status=LicenceStatus.EXPIRED if valid_until < clock.today() else LicenceStatus.ACTIVE,
        )
        save_validated(licence, actor=actor, reason="created")
        lines_create(LicenceLine, "licence", licence, lines, actor=actor)
        LicenceEvent.objects.create(
            licence=licence, to_status=licence.status, on=clock.today(), reason="recorded",
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
    except ValidationError as exc:
        if not field_prefix:
            raise
        raise type(exc)({f"{field_prefix}{k}": v for k, v in exc.message_dict.items()}) from exc
    licence.warnings = licence_validity_warnings(kind, valid_from, valid_until)
    transaction.on_commit(lambda: licence_created.send(sender=Licence, licence=licence))
    return licence


LICENCE_FIELDS = frozenset({"number", "valid_from", "valid_until", "notes", "external_ref", "kind"})


@transaction.atomic
def licence_update(*, licence: Licence, actor=None, **fields: Any) -> Licence:
    """Change a licence's header (number, validity, kind, notes). Its status changes only through
    ``licences_set_status``; ``licence_change`` decides it after a header change."""
    if "status" in fields:
        raise field_error(
            "status",
            "A licence's status follows its balances and dates; it can only be revoked or reinstated.",
            code="invalid_choice",
        )
    if unknown := set(fields) - LICENCE_FIELDS:
        raise DomainError({name: "This field cannot be changed here." for name in sorted(unknown)})
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    for name, value in fields.items():
        setattr(licence, name, value)
    _check_validity(licence.valid_from, licence.valid_until)
    save_validated(licence, actor=actor, reason="updated")
    licence.warnings = licence_validity_warnings(licence.kind, licence.valid_from, licence.valid_until)
    return licence


def licences_set_status(
    licence_ids: Iterable[int], status: str, *, reason: str, actor=None, only_from: Iterable[str] | None = None
) -> list[int]:
    """The one place a licence's status changes: for each licence in ``licence_ids`` whose status
    is in ``only_from`` (any other status when None), set ``status`` and write a history row and
    a ``LicenceEvent`` in the caller's transaction. A constant number of queries for any number
    of licences. Returns the ids that changed."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    licence_ids = set(licence_ids) - {None}
    if not licence_ids:
        return []
    with transaction.atomic():
        qs = Licence.objects.select_for_update().filter(pk__in=licence_ids).exclude(status=status)
        if only_from is not None:
            qs = qs.filter(status__in=list(only_from))
        changing = list(qs.order_by("pk"))
        if not changing:
            return []
        today = clock.today()
        events = [
            LicenceEvent(licence=lic, from_status=lic.status, to_status=status, on=today, reason=reason,
                         recorded_by=user)
            for lic in changing
        ]
        now = timezone.now()
        for lic in changing:
            lic.status, lic.updated_at = status, now  # updated_at: the ERP's updated_since sees it
        bulk_update_with_history(
            changing, Licence, ["status", "updated_at"], batch_size=500, default_user=user,
            default_change_reason=reason,
        )
        LicenceEvent.objects.bulk_create(events, batch_size=500)
    return [lic.pk for lic in changing]


def licence_change(*, licence: Licence, actor=None, revoked: bool | None = None, **fields: Any) -> Licence:
    """Change a licence's header, revoke it (``revoked=True``) or reinstate it (``False``).

    Decides the status after the change: revoked stays revoked; otherwise expired if
    ``valid_until`` is before today (Shanghai); otherwise active, or exhausted if it was
    exhausted (the drawdown, ``shipments.services.licences_refresh_status``, moves it between
    active and exhausted as balances change). So a licence whose validity is extended comes back
    from expired, and one reinstated after its end date is expired, not active.
    """
    with transaction.atomic():
        current = Licence.objects.select_for_update().get(pk=licence.pk)
        licence = licence_update(licence=current, actor=actor, **fields) if fields else current
        licence.warnings = getattr(licence, "warnings", None) or licence_validity_warnings(
            licence.kind, licence.valid_from, licence.valid_until
        )
        if revoked or (revoked is None and current.status == LicenceStatus.REVOKED):
            status, reason = LicenceStatus.REVOKED, "revoked"
        elif licence.valid_until < clock.today():
            status, reason = LicenceStatus.EXPIRED, "validity ended"
        elif current.status == LicenceStatus.EXHAUSTED:
            status, reason = LicenceStatus.EXHAUSTED, ""
        else:
            status, reason = LicenceStatus.ACTIVE, "reinstated" if revoked is False else "validity extended"
        licences_set_status([licence.pk], status, reason=reason, actor=actor)
        licence.refresh_from_db(fields=["status", "updated_at"])
    return licence


def licences_expire(today: dt.date | None = None) -> int:
    """Mark active or exhausted licences past ``valid_until`` as expired (a daily sweep)."""
    today = today or clock.today()
    ids = Licence.objects.filter(
        status__in=[LicenceStatus.ACTIVE, LicenceStatus.EXHAUSTED], valid_until__lt=today
    ).values_list("pk", flat=True)
    return len(licences_set_status(
        list(ids), LicenceStatus.EXPIRED, reason="validity ended",
        only_from=[LicenceStatus.ACTIVE, LicenceStatus.EXHAUSTED],
    ))


# --- Reference data -------------------------------------------------------------------------


def items_for_elements(elements: str) -> QuerySet[ControlledItem]:
    """Controlled items that contain any of the element symbols (space-separated)."""
    symbols = set(elements.split())
    ids = [item.pk for item in ControlledItem.objects.only("pk", "elements") if symbols & set(item.element_list)]
    return ControlledItem.objects.filter(pk__in=ids)


@transaction.atomic
def policy_event_save(*, event: PolicyEvent | None = None, actor=None, **fields: Any) -> PolicyEvent:
    """Create or update a policy event; its items follow its element symbols unless given."""
    items = fields.pop("items", None)
    event = event or PolicyEvent()
    for name, value in fields.items():
        setattr(event, name, value)
    lead = event.lead_days
    if not isinstance(lead, list) or not all(isinstance(d, int) and 0 <= d <= 365 for d in lead):
        raise field_error("lead_days", LEAD_DAYS_MESSAGE)
    event.lead_days = sorted(set(lead), reverse=True)
    save_validated(event, actor=actor, reason="saved")
    event.items.set(items if items is not None else items_for_elements(event.elements))
    return event


def policy_calendar_mark_reviewed(*, actor=None, note: str = "") -> PolicyCalendarReview:
    """Record that compliance checked the policy calendar against its sources today (China):
    the monthly reminder (docs/alerts.md, policy_review_due) waits another REVIEW_EVERY_DAYS."""
    review = PolicyCalendarReview(
        reviewed_on=clock.today(),
        note=(note or "").strip(),
        reviewed_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    save_validated(review, actor=actor, reason="reviewed")
    return review


# --- The working-day calendar -----------------------------------------------------------------


def calendar_refresh(*, day: dt.date | None = None) -> int:
    """After the calendar changed: recompute the stored application clocks now (licensing owns
    them) and tell other apps on commit (``calendar_changed``), so that shipments recomputes the
    customs windows of held shipments. With ``day`` (the one date that changed) only clocks
    that count across it are recomputed: accepted before it, still open or closed on or after
    it. Returns how many applications were recomputed."""
    queryset = LicenceApplication.objects.filter(accepted_on__isnull=False)
    if day is not None:
        queryset = queryset.filter(Q(closed_on__isnull=True) | Q(closed_on__gte=day), accepted_on__lt=day)
    n = applications_refresh_clocks(queryset)
    transaction.on_commit(lambda: calendar_changed.send(sender=CalendarOverride))
    return n


@transaction.atomic
def calendar_override_save(*, override: CalendarOverride | None = None, actor=None, **fields: Any) -> CalendarOverride:
    """Record an extra day off or a make-up working day (it wins over the holidays package)
    and recompute the due dates that depend on the calendar."""
    if unknown := set(fields) - {"date", "kind", "note"}:
        raise DomainError({name: "This field cannot be set here." for name in sorted(unknown)})
    override = override or CalendarOverride()
    # A changed date affects the clocks across the old date and across the new one.
    previous = CalendarOverride.objects.filter(pk=override.pk).values_list("date", flat=True).first()
    for name, value in fields.items():
        setattr(override, name, value)
    save_validated(override, actor=actor, reason="saved")
    calendar_refresh(day=min(d for d in (previous, override.date) if d is not None))
    return override


@transaction.atomic
def calendar_override_delete(*, override: CalendarOverride, actor=None) -> None:
    """Remove an override (the package's answer for that day applies again) and recompute."""
    override._history_user = actor if getattr(actor, "is_authenticated", False) else None
    day = override.date
    override.delete()
    calendar_refresh(day=day)


@transaction.atomic
def published_year_save(
    *, published: PublishedCalendarYear | None = None, actor=None, **fields: Any
) -> PublishedCalendarYear:
    """Mark a year's official schedule as entered, so its dates are no longer estimated."""
    if unknown := set(fields) - {"year", "source"}:
        raise DomainError({name: "This field cannot be set here." for name in sorted(unknown)})
    published = published or PublishedCalendarYear()
    for name, value in fields.items():
        setattr(published, name, value)
    save_validated(published, actor=actor, reason="saved")
    calendar_refresh()
    return published


@transaction.atomic
def published_year_delete(*, published: PublishedCalendarYear, actor=None) -> None:
    published._history_user = actor if getattr(actor, "is_authenticated", False) else None
    published.delete()
    calendar_refresh()

"""Selection of due alerts (docs/architecture.md#alerts): one set-based query per kind.

Each selector returns unsaved ``Alert`` objects for what is due *and not yet alerted*: the
"not yet" is a ``NOT EXISTS`` on the alert table inside the same query, so a scan with nothing
new loads no rows at all. Thresholds are *crossed*, not *equal today*: of a kind's lead times
the tightest one already crossed is alerted, once; after downtime the missed wider ones are
not replayed (docs/alerts.md says why).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from exposure.impact import OpenBook, impact_of
from licensing.clock import WorkingCalendar
from licensing.models import REVIEW_EVERY_DAYS, ApplicationStatus, Document, Licence, LicenceStatus, PolicyEvent
from licensing.models.applications import OPEN_STATUSES, LicenceApplication
from licensing.selectors import clock_running_applications, overdue_applications, policy_review
from shipments.models import PENDING_STATUSES, Shipment, ShipmentStatus
from shipments.selectors import (
    Changes,
    licence_lines_low_balance,
    licences_and_shipments_changed_since,
    purchase_orders_at_risk,
    shipments_after_expiry,
    shipments_held_unanswered,
    shipments_late,
)

from .models import KIND_SEVERITY, SEVERITY_RANK, Alert, Kind, ScanWatermark, Severity, SubjectType

K = Kind
T = SubjectType


@dataclass
class ScanContext:
    """What every selector needs: the scan's date (China), the calendar, the lead times."""

    today: dt.date
    cal: WorkingCalendar
    batch: object
    # Per kind: the settings' lead times united with every user's own, so each user's
    # threshold exists as an alert (deliveries then go to the users who asked for it).
    leads: dict[str, list[int]] = field(default_factory=dict)
    # For the incremental kinds (licence_low_balance, shipment_after_expiry): the licences and
    # shipments written since the previous completed scan; None checks every row.
    changes: Changes | None = None
    # policy_event_impact: per event id, the last check of its impact, kept in the watermark's
    # params ({"threshold", "at", "touched"}) so a scan with nothing new does not read the open
    # book (every open line) again; the selector records this scan's checks here.
    impact_checked: dict[str, dict] = field(default_factory=dict)

    def alert(self, *, kind: str, severity: str | None = None, **kw) -> Alert:
        """An unsaved alert at its kind's severity, raised (never lowered) to ``severity``."""
        base = KIND_SEVERITY.get(kind, Severity.WARNING)
        if severity and SEVERITY_RANK[severity] > SEVERITY_RANK[base]:
            base = severity
        return Alert(alerted_on=self.today, batch=self.batch, kind=kind, severity=base, **kw)


# The page an alert links to, by URL name: the detail page of its subject; policy events
# link to the calendar, anything else to the inbox.
DETAIL_URL_NAMES = {
    T.APPLICATION: "application-detail",
    T.LICENCE: "licence-detail",
    T.SHIPMENT: "shipment-detail",
    T.PURCHASE_ORDER: "purchase-order-detail",
}


def url_for(subject_type: str, subject_id: int) -> str:
    """The page of an alert's subject (stable URLs, docs/architecture.md#ui: bookmarks and email
    links keep working)."""
    if subject_type in DETAIL_URL_NAMES:
        return reverse(DETAIL_URL_NAMES[subject_type], args=[subject_id])
    return reverse("policy") if subject_type in (T.POLICY_EVENT, T.POLICY_CALENDAR) else reverse("alerts")


# --- Threshold arithmetic ------------------------------------------------------------------


def last_date_within_working_days(cal: WorkingCalendar, today: dt.date, lead: int) -> dt.date:
    """The last date D with at most ``lead`` working days in (today, D]: a deadline on or
    before it has crossed the ``lead`` threshold."""
    return cal.add_working_days(today, lead + 1) - dt.timedelta(days=1)


def first_date_with_working_days_since(cal: WorkingCalendar, today: dt.date, lead: int) -> dt.date:
    """The last start date S with at least ``lead`` working days in (S, today]."""
    day, counted = today, 0
    while counted < lead:
        if cal.is_working_day(day):
            counted += 1
        day -= dt.timedelta(days=1)
    return day


def _tightest_crossed(date_field: str, cutoffs: dict[int, dt.date]) -> Case:
    """SQL: the smallest lead whose cutoff the date is on or before (the tightest crossed)."""
    whens = [When(**{f"{date_field}__lte": cutoffs[lead]}, then=Value(lead)) for lead in sorted(cutoffs)]
    return Case(*whens, default=Value(None), output_field=IntegerField())


def _not_alerted(kind: str, subject_type: str, *, lead: str | None = "alert_lead", due: str | None = None, **extra):
    """NOT EXISTS an alert of this kind for the outer row (at this lead and date, when given)."""
    alerts = Alert.objects.filter(kind=kind, subject_type=subject_type, subject_id=OuterRef("pk"), **extra)
    if lead:
        alerts = alerts.filter(lead=OuterRef(lead))
    if due:
        alerts = alerts.filter(due_on=OuterRef(due))
    return ~Exists(alerts)


def _deadline_window(
    qs: QuerySet, ctx: ScanContext, kind: str, subject_type: str, date_field: str, *, working_days: bool
) -> QuerySet:
    """Rows whose ``date_field`` is today or later and has crossed a lead, not yet alerted."""
    leads = ctx.leads.get(kind) or []
    if not leads:
        return qs.none()
    if working_days:
        cutoffs = {lead: last_date_within_working_days(ctx.cal, ctx.today, lead) for lead in leads}
    else:
        cutoffs = {lead: ctx.today + dt.timedelta(days=lead) for lead in leads}
    return (
        qs.filter(**{f"{date_field}__gte": ctx.today, f"{date_field}__lte": max(cutoffs.values())})
        .annotate(alert_lead=_tightest_crossed(date_field, cutoffs))
        .filter(_not_alerted(kind, subject_type, due=date_field))
    )


def _severity(lead: int | None, urgent: int = 1) -> str | None:
    """Critical when the deadline is this close, else the kind's own severity."""
    return Severity.CRITICAL if lead is not None and lead <= urgent else None


def human_date(day: dt.date | None) -> str:
    """A date as people write it in messages: 4 Dec 2025 (ISO stays in the data fields)."""
    return f"{day.day} {day:%b %Y}" if day else ""


_hd = human_date


def _days(n: int, unit: str = "day") -> str:
    return "today" if n == 0 else f"in {n} {unit}{'s' if n != 1 else ''}"


# --- One selector per kind --------------------------------------------------------------------


def decision_due_soon(ctx: ScanContext) -> list[Alert]:
    qs = clock_running_applications().filter(status=ApplicationStatus.ACCEPTED)
    rows = _deadline_window(qs, ctx, K.DECISION_DUE_SOON, T.APPLICATION, "decision_due", working_days=True)
    out = []
    for r in rows.values("pk", "reference", "supplier__name", "decision_due", "alert_lead"):
        remaining = ctx.cal.working_days_between(ctx.today, r["decision_due"])
        out.append(ctx.alert(
            kind=K.DECISION_DUE_SOON, subject_type=T.APPLICATION, subject_id=r["pk"], lead=r["alert_lead"],
            due_on=r["decision_due"], threshold=f"{r['alert_lead']}wd@{r['decision_due']}",
            severity=_severity(r["alert_lead"]), url=url_for(T.APPLICATION, r["pk"]),
            message=f"{r['reference']} ({r['supplier__name']}): MOFCOM's decision is due on {_hd(r['decision_due'])}, "
            f"{_days(remaining, 'working day')}.",
        ))
    return out


def decision_overdue(ctx: ScanContext) -> list[Alert]:
    """Overdue: alerted once, then at most once per reminder period while still overdue.

    The filter asks "no overdue alert for this due date within the last period", so after a
    downtime of three weeks the next scan makes one alert, not three (missed weeks not replayed).
    """
    period = settings.ALERT_OVERDUE_REMINDER_DAYS
    recent = ctx.today - dt.timedelta(days=period)
    qs = overdue_applications(ctx.today).filter(
        _not_alerted(K.DECISION_OVERDUE, T.APPLICATION, lead=None, due="decision_due", alerted_on__gt=recent)
    )
    out = []
    for r in qs.values("pk", "reference", "supplier__name", "decision_due"):
        late = ctx.cal.working_days_between(r["decision_due"], ctx.today)
        out.append(ctx.alert(
            kind=K.DECISION_OVERDUE, subject_type=T.APPLICATION, subject_id=r["pk"], due_on=r["decision_due"],
            threshold=f"overdue@{r['decision_due']}:{ctx.today}", severity=Severity.CRITICAL,
            url=url_for(T.APPLICATION, r["pk"]),
            message=f"{r['reference']} ({r['supplier__name']}): MOFCOM's decision was due on {_hd(r['decision_due'])} "
            f"and is {late} working day{'s' if late != 1 else ''} overdue.",
        ))
    return out


def acceptance_pending(ctx: ScanContext) -> list[Alert]:
    """Submitted for N working days without acceptance: the largest lead crossed."""
    leads = ctx.leads.get(K.ACCEPTANCE_PENDING) or []
    if not leads:
        return []
    starts = {lead: first_date_with_working_days_since(ctx.cal, ctx.today, lead) for lead in leads}
    whens = [When(submitted_on__lte=starts[lead], then=Value(lead)) for lead in sorted(leads, reverse=True)]
    qs = (
        LicenceApplication.objects.filter(status=ApplicationStatus.SUBMITTED, submitted_on__lte=starts[min(leads)])
        .annotate(alert_lead=Case(*whens, output_field=IntegerField()))
        .filter(_not_alerted(K.ACCEPTANCE_PENDING, T.APPLICATION, due="submitted_on"))
    )
    out = []
    for r in qs.values("pk", "reference", "supplier__name", "submitted_on", "alert_lead"):
        waited = ctx.cal.working_days_between(r["submitted_on"], ctx.today)
        out.append(ctx.alert(
            kind=K.ACCEPTANCE_PENDING, subject_type=T.APPLICATION, subject_id=r["pk"], lead=r["alert_lead"],
            due_on=r["submitted_on"], threshold=f"{r['alert_lead']}wd@{r['submitted_on']}",
            url=url_for(T.APPLICATION, r["pk"]),
            message=f"{r['reference']} ({r['supplier__name']}) was submitted on {_hd(r['submitted_on'])} and is not "
            f"accepted after {waited} working days: the file may be stuck at the provincial department.",
        ))
    return out


def customs_response_due(ctx: ScanContext) -> list[Alert]:
    """Held shipments: ``customs_response_due`` as the answer-by date comes closer, and
    ``customs_answer_overdue`` once it has passed with the shipment still held (once per date).
    Without the second, a date that passed while the workers were down (or between two scans)
    would never be alerted, since the countdown looks at dates from today on. One query for
    both, within the scan's budget of queries (docs/benchmarks.md).

    A hold with a recorded answer (procurement's, or a supplier's it confirmed) alerts neither:
    nothing is left to do before the date. A supplier's answer still held for confirmation
    does not silence them: nobody on the importer's side has read it yet, and if it is
    rejected the supplier answers again within the same window, so the date still matters.
    The alerts then say the answer is received and awaits the owner's confirmation, the one
    thing left to do (docs/supplier-portal.md#customs-holds-messages-and-uploads). A supplier
    trusted to answer without confirmation has ``portal_apply_reports``, which records its
    answer at once and so ends the alerts."""
    leads = ctx.leads.get(K.CUSTOMS_RESPONSE_DUE) or []
    cutoffs = {lead: last_date_within_working_days(ctx.cal, ctx.today, lead) for lead in leads}
    overdue = Q(customs_response_due__lt=ctx.today) & _not_alerted(
        K.CUSTOMS_ANSWER_OVERDUE, T.SHIPMENT, lead=None, due="customs_response_due"
    )
    wanted = overdue
    if cutoffs:
        soon = Q(customs_response_due__gte=ctx.today, customs_response_due__lte=max(cutoffs.values())) & _not_alerted(
            K.CUSTOMS_RESPONSE_DUE, T.SHIPMENT, due="customs_response_due"
        )
        wanted = soon | overdue
    qs = (
        shipments_held_unanswered()
        .annotate(alert_lead=_tightest_crossed("customs_response_due", cutoffs))
        .filter(wanted)
    )
    out = []
    fields = ("pk", "reference", "supplier__name", "customs_response_due", "alert_lead", "answer_waiting_from")
    for r in qs.values(*fields):
        due = r["customs_response_due"]
        label = f"Shipment {r['reference']} ({r['supplier__name']}) is held by customs"
        waiting = (
            f" Answer received from {r['answer_waiting_from']}, awaiting your confirmation."
            if r["answer_waiting_from"]
            else ""
        )
        if due < ctx.today:
            late = ctx.cal.working_days_between(due, ctx.today)
            out.append(ctx.alert(
                kind=K.CUSTOMS_ANSWER_OVERDUE, subject_type=T.SHIPMENT, subject_id=r["pk"], due_on=due,
                threshold=f"overdue@{due}", url=url_for(T.SHIPMENT, r["pk"]),
                message=f"{label} and the answer was due on {_hd(due)}: {late} working day{'s' if late != 1 else ''} "
                f"overdue.{waiting}",
            ))
            continue
        left = ctx.cal.working_days_between(ctx.today, due)
        out.append(ctx.alert(
            kind=K.CUSTOMS_RESPONSE_DUE, subject_type=T.SHIPMENT, subject_id=r["pk"], lead=r["alert_lead"],
            due_on=due, threshold=f"{r['alert_lead']}wd@{due}", severity=_severity(r["alert_lead"], 2),
            url=url_for(T.SHIPMENT, r["pk"]),
            message=f"{label}: the response is due on {_hd(due)}, {_days(left, 'working day')}.{waiting}",
        ))
    return out


def licence_expiring(ctx: ScanContext) -> list[Alert]:
    # Active means balance remains: the drawdown service marks a licence without any exhausted.
    qs = Licence.objects.filter(status=LicenceStatus.ACTIVE)
    rows = _deadline_window(qs, ctx, K.LICENCE_EXPIRING, T.LICENCE, "valid_until", working_days=False)
    out = []
    for r in rows.values("pk", "number", "supplier__name", "valid_until", "alert_lead"):
        left = (r["valid_until"] - ctx.today).days
        out.append(ctx.alert(
            kind=K.LICENCE_EXPIRING, subject_type=T.LICENCE, subject_id=r["pk"], lead=r["alert_lead"],
            due_on=r["valid_until"], threshold=f"{r['alert_lead']}d@{r['valid_until']}",
            severity=_severity(r["alert_lead"], 7), url=url_for(T.LICENCE, r["pk"]),
            message=f"Licence {r['number']} ({r['supplier__name']}) expires on {_hd(r['valid_until'])}, {_days(left)}, "
            "with balance remaining.",
        ))
    return out


def licence_low_balance(ctx: ScanContext) -> list[Alert]:
    """Incremental: a balance only falls when a shipment on the licence is written (or the
    licence itself, e.g. active again), so only those licences are checked (``ctx.changes``)."""
    if ctx.changes is not None and not ctx.changes:
        return []
    share = Decimal(str(settings.ALERT_LOW_BALANCE_SHARE))
    pct = f"{share * 100:g}%"
    licence_ids = None if ctx.changes is None else ctx.changes.licences | ctx.changes.shipment_licences
    qs = licence_lines_low_balance(share, licence_ids=licence_ids).filter(
        _not_alerted(K.LICENCE_LOW_BALANCE, T.LICENCE_LINE, lead=None, threshold=pct)
    )
    out = []
    for r in qs.values("pk", "licence_id", "licence__number", "item__code", "balance", "approved_quantity", "unit"):
        out.append(ctx.alert(
            kind=K.LICENCE_LOW_BALANCE, subject_type=T.LICENCE_LINE, subject_id=r["pk"], threshold=pct,
            url=url_for(T.LICENCE, r["licence_id"]), context={"licence_id": r["licence_id"]},
            message=f"Licence {r['licence__number']}, {r['item__code']}: {r['balance']:.3f} {r['unit']} left of "
            f"{r['approved_quantity']:.3f} {r['unit']} (under {pct}).",
        ))
    return out


def shipment_after_expiry(ctx: ScanContext) -> list[Alert]:
    """Incremental: only shipments written since the previous scan and the shipments of
    licences written since (a shortened validity), per ``ctx.changes``."""
    if ctx.changes is None:
        qs = shipments_after_expiry()
    elif not ctx.changes:
        return []
    else:
        qs = shipments_after_expiry(shipment_ids=ctx.changes.shipments, licence_ids=ctx.changes.licences)
    qs = qs.filter(
        _not_alerted(K.SHIPMENT_AFTER_EXPIRY, T.SHIPMENT, lead=None, due="planned_ship_date")
    )
    out = []
    for r in qs.values("pk", "reference", "planned_ship_date", "licence__number", "licence__valid_until"):
        out.append(ctx.alert(
            kind=K.SHIPMENT_AFTER_EXPIRY, subject_type=T.SHIPMENT, subject_id=r["pk"], due_on=r["planned_ship_date"],
            threshold=f"ships@{r['planned_ship_date']}>{r['licence__valid_until']}", severity=Severity.CRITICAL,
            url=url_for(T.SHIPMENT, r["pk"]),
            message=f"Shipment {r['reference']} is planned to ship on {_hd(r['planned_ship_date'])}, after licence "
            f"{r['licence__number']} expires ({_hd(r['licence__valid_until'])}).",
        ))
    return out


def shipment_late(ctx: ScanContext) -> list[Alert]:
    qs = shipments_late(ctx.today).filter(_not_alerted(K.SHIPMENT_LATE, T.SHIPMENT, lead=None, due="eta"))
    out = []
    for r in qs.values("pk", "reference", "supplier__name", "eta", "status"):
        out.append(ctx.alert(
            kind=K.SHIPMENT_LATE, subject_type=T.SHIPMENT, subject_id=r["pk"], due_on=r["eta"],
            threshold=f"eta@{r['eta']}", url=url_for(T.SHIPMENT, r["pk"]),
            message=f"Shipment {r['reference']} ({r['supplier__name']}) was expected on {_hd(r['eta'])} and is still "
            f"{ShipmentStatus(r['status']).label.lower()}.",
        ))
    return out


def po_at_risk(ctx: ScanContext) -> list[Alert]:
    # at_risk is a stored column kept by the prediction refresh (docs/analytics.md); we only read it.
    qs = purchase_orders_at_risk().filter(
        _not_alerted(K.PO_AT_RISK, T.PURCHASE_ORDER, lead=None, due="needed_by")
    )
    out = []
    for r in qs.values("pk", "number", "supplier__name", "needed_by", "expected_arrival", "risk", "risk_reason"):
        state = "late" if r["risk"] == "late" else "at risk"
        why = r["risk_reason"] or f"Needed by {_hd(r['needed_by'])}."
        out.append(ctx.alert(
            kind=K.PO_AT_RISK, subject_type=T.PURCHASE_ORDER, subject_id=r["pk"], due_on=r["needed_by"],
            threshold=f"risk@{r['needed_by']}", url=url_for(T.PURCHASE_ORDER, r["pk"]),
            message=f"Purchase order {r['number']} ({r['supplier__name']}) is {state}. {why}",
        ))
    return out


def document_expiring(ctx: ScanContext) -> list[Alert]:
    rows = _deadline_window(
        Document.objects.all(), ctx, K.DOCUMENT_EXPIRING, T.DOCUMENT, "valid_until", working_days=False
    )
    out = []
    fields = ("pk", "original_name", "kind", "valid_until", "alert_lead", "application_id", "licence_id",
              "shipment_link__shipment_id")
    for r in rows.values(*fields):
        if r["application_id"]:
            url = url_for(T.APPLICATION, r["application_id"])
        elif r["licence_id"]:
            url = url_for(T.LICENCE, r["licence_id"])
        else:
            url = url_for(T.SHIPMENT, r["shipment_link__shipment_id"])
        out.append(ctx.alert(
            kind=K.DOCUMENT_EXPIRING, subject_type=T.DOCUMENT, subject_id=r["pk"], lead=r["alert_lead"],
            due_on=r["valid_until"], threshold=f"{r['alert_lead']}d@{r['valid_until']}", url=url,
            message=f"{Document.Kind(r['kind']).label} '{r['original_name']}' is valid until {_hd(r['valid_until'])}, "
            f"{_days((r['valid_until'] - ctx.today).days)}.",
        ))
    return out


def policy_event_upcoming(ctx: ScanContext) -> list[Alert]:
    """Upcoming policy events, each listing what it affects.

    The event's own ``lead_days`` decide its thresholds. They live in a JSON column that SQLite
    cannot search, so the SQL picks the tightest crossed of *all* lead times in use (settings,
    users) and Python keeps an event only where that is one of its own: policy events are
    dozens, so this is the one selector that may load a row it does not alert.
    """
    leads = set(ctx.leads.get(K.POLICY_EVENT_UPCOMING) or []) | {0}
    rows = list(
        _deadline_window(
            PolicyEvent.objects.all(), ContextWithLeads(ctx, K.POLICY_EVENT_UPCOMING, sorted(leads)),
            K.POLICY_EVENT_UPCOMING, T.POLICY_EVENT, "date", working_days=False,
        ).values("pk", "title", "date", "jurisdiction", "lead_days", "alert_lead")
    )
    chosen = []
    for r in rows:
        days = (r["date"] - ctx.today).days
        own = [lead for lead in (r["lead_days"] or []) if lead >= days]
        if own and min(own) >= r["alert_lead"]:
            chosen.append((r, min(own)))
    affected = policy_affected([r["pk"] for r, _ in chosen])
    out = []
    for r, lead in chosen:
        ctx_lists = affected.get(r["pk"], {})
        counts = ", ".join(f"{n} {k}" for k, n in ctx_lists.get("counts", {}).items())
        out.append(ctx.alert(
            kind=K.POLICY_EVENT_UPCOMING, subject_type=T.POLICY_EVENT, subject_id=r["pk"], lead=r["alert_lead"],
            due_on=r["date"], threshold=f"{lead}d@{r['date']}", severity=Severity.WARNING if lead <= 1 else None,
            url=url_for(T.POLICY_EVENT, r["pk"]), context=ctx_lists,
            message=f"{_hd(r['date'])} ({_days((r['date'] - ctx.today).days)}): {r['title']} [{r['jurisdiction']}]. "
            f"Affects {counts or 'nothing open'}.",
        ))
    return out


class ContextWithLeads(ScanContext):
    """A view of a context with other lead times for one kind."""

    def __init__(self, ctx: ScanContext, kind: str, leads: list[int]):
        super().__init__(today=ctx.today, cal=ctx.cal, batch=ctx.batch, leads={**ctx.leads, kind: leads})


def policy_affected(event_ids: Iterable[int]) -> dict[int, dict]:
    """For each event: open applications, active licences and pending shipments with a line of
    an item the event names (all of them when it names none), as a count per kind and the first
    ``ALERT_AFFECTED_LISTED`` of each by id under ``listed``. Counted in SQL and bounded, so an
    event over a million open rows costs two small queries per kind, not the rows themselves."""
    event_ids = list(event_ids)
    if not event_ids:
        return {}
    items: dict[int, set[int]] = {pk: set() for pk in event_ids}
    for event_id, item_id in PolicyEvent.items.through.objects.filter(policyevent_id__in=event_ids).values_list(
        "policyevent_id", "controlleditem_id"
    ):
        items[event_id].add(item_id)
    sources = {
        "applications": (LicenceApplication.objects.filter(status__in=OPEN_STATUSES), "reference", T.APPLICATION),
        "licences": (Licence.objects.filter(status=LicenceStatus.ACTIVE), "number", T.LICENCE),
        "shipments": (Shipment.objects.filter(status__in=list(PENDING_STATUSES)), "reference", T.SHIPMENT),
    }
    limit = settings.ALERT_AFFECTED_LISTED
    result: dict[int, dict] = {}
    for event_id, event_items in items.items():
        lists: dict = {}
        counts: dict[str, int] = {}
        for label, (qs, name_field, subject_type) in sources.items():
            if event_items:
                qs = qs.filter(Exists(qs.model.lines.field.model.objects.filter(
                    **{qs.model.lines.field.name: OuterRef("pk")}, item_id__in=event_items,
                )))
            counts[label] = qs.count()
            lists[label] = [
                {"id": pk, "name": name, "url": url_for(subject_type, pk)}
                for pk, name in qs.order_by("pk").values_list("pk", name_field)[:limit]
            ]
        truncated = any(counts[label] > len(rows) for label, rows in lists.items())
        result[event_id] = {**lists, "counts": counts, "truncated": truncated}
    return result


def _impact_to_check(ctx: ScanContext, event_id: int, threshold: str, now: dt.datetime) -> bool:
    """Whether this event's impact needs reading at ``threshold``: not yet checked at it, or
    checked and found touching nothing more than ``ALERT_POLICY_IMPACT_RECHECK_HOURS`` ago (an
    order or shipment added since may touch it now). Once alerted at a lead, it waits for the next."""
    last = ctx.impact_checked.get(str(event_id))
    if not last or last.get("threshold") != threshold:
        return True
    if last.get("touched"):
        return False
    recheck = dt.timedelta(hours=settings.ALERT_POLICY_IMPACT_RECHECK_HOURS)
    return dt.datetime.fromisoformat(last["at"]) <= now - recheck


def policy_event_impact(ctx: ScanContext) -> list[Alert]:
    """Before an event that touches open orders, shipments, applications or own products
    (exposure.impact), at the event's own lead days; severity by impact: critical when it
    touches a pending shipment or at least ``ALERT_POLICY_IMPACT_CRITICAL`` open items.

    Reading the impact reads the open book (every open line: seconds at a million rows), so an
    event is read once per lead it crosses, and again every ``ALERT_POLICY_IMPACT_RECHECK_HOURS``
    while it touches nothing; what was read is kept in ``ctx.impact_checked`` (the watermark).
    With nothing to read the selector costs one query. An alert already made at a threshold is
    not made twice (the alerts' unique key), whatever the watermark says."""
    now = timezone.now()
    due = []
    for e in PolicyEvent.objects.filter(date__gte=ctx.today):
        days = (e.date - ctx.today).days
        crossed = [lead for lead in (e.lead_days or []) if lead >= days]
        if crossed and _impact_to_check(ctx, e.pk, f"{min(crossed)}d@{e.date}", now):
            due.append((e, min(crossed), days))
    # Events that have passed or left every lead are dropped from the watermark.
    ctx.impact_checked = {k: v for k, v in ctx.impact_checked.items() if v.get("date", "") >= ctx.today.isoformat()}
    if not due:
        return []
    named: dict[int, set[int]] = {e.pk: set() for e, _, _ in due}
    for event_id, item_id in PolicyEvent.items.through.objects.filter(policyevent_id__in=list(named)).values_list(
        "policyevent_id", "controlleditem_id"
    ):
        named[event_id].add(item_id)
    book, out = OpenBook.load(), []
    for event, lead, days in due:
        result = impact_of(event, book=book, named=named[event.pk])
        threshold = f"{lead}d@{event.date}"
        ctx.impact_checked[str(event.pk)] = {
            "threshold": threshold, "at": now.isoformat(), "touched": bool(result.count),
            "date": event.date.isoformat(),
        }
        if not result.count:
            continue
        critical = bool(result.shipment_ids) or result.count >= settings.ALERT_POLICY_IMPACT_CRITICAL
        out.append(ctx.alert(
            kind=K.POLICY_EVENT_IMPACT, subject_type=T.POLICY_EVENT, subject_id=event.pk, lead=lead,
            due_on=event.date, threshold=threshold,
            severity=Severity.CRITICAL if critical else Severity.WARNING, url=reverse("policy-detail", args=[event.pk]),
            context={"orders": result.order_ids, "shipments": result.shipment_ids,
                     "applications": result.application_ids, "products": [h.product.id for h in result.products]},
            message=f"{_hd(event.date)} ({_days(days)}): {event.title} touches {len(result.order_ids)} open orders, "
            f"{len(result.shipment_ids)} shipments, {len(result.application_ids)} applications and "
            f"{len(result.products)} own products.",
        ))
    return out


SELECTORS = (
    decision_due_soon,
    decision_overdue,
    acceptance_pending,
    customs_response_due,
    licence_expiring,
    licence_low_balance,
    shipment_after_expiry,
    shipment_late,
    po_at_risk,
    policy_event_upcoming,
    policy_event_impact,
    document_expiring,
)


# --- The watermark of the incremental kinds ---------------------------------------------------

WATERMARK = "deadline_scan"


IMPACT_CHECKED = "policy_impact"  # the watermark params' key for ScanContext.impact_checked


def watermark_params() -> dict:
    """What the incremental checks depend on besides the rows: a change means a full check."""
    return {"low_balance_share": str(settings.ALERT_LOW_BALANCE_SHARE)}


def changes_since_last_scan(ctx: ScanContext | None = None) -> Changes | None:
    """The licences and shipments written since the previous completed scan started, less
    ``ALERT_SCAN_OVERLAP_SECONDS`` (a row stamped before that start may commit after it); None
    (check every row) on the first scan, after a settings change, or when more than
    ``ALERT_SCAN_INCREMENTAL_MAX`` rows changed. Two index range scans when nothing did.
    Fills ``ctx.impact_checked`` from the same watermark row."""
    mark = ScanWatermark.objects.filter(name=WATERMARK).values_list("scanned_at", "params").first()
    if ctx is not None and mark is not None:
        ctx.impact_checked = dict((mark[1] or {}).get(IMPACT_CHECKED) or {})
    params = watermark_params()
    if mark is None or {key: (mark[1] or {}).get(key) for key in params} != params:
        return None
    since = mark[0] - dt.timedelta(seconds=settings.ALERT_SCAN_OVERLAP_SECONDS)
    return licences_and_shipments_changed_since(since, limit=settings.ALERT_SCAN_INCREMENTAL_MAX)


def select_all(ctx: ScanContext) -> list[Alert]:
    alerts: list[Alert] = []
    for selector in SELECTORS:
        alerts.extend(selector(ctx))
    return alerts


# --- Once a day (notifications.tasks.daily, not the every-ALERT_SCAN_MINUTES scan) ------------


def policy_review_due(ctx: ScanContext) -> list[Alert]:
    """The policy calendar not reviewed for REVIEW_EVERY_DAYS: one reminder when the review
    falls due, then one every REVIEW_EVERY_DAYS while it is still not done. The threshold names
    the period's start and the month of it, so a repeated run adds nothing (the alert's unique
    key) and marking it reviewed starts a new period. Compliance users only (``KIND_ROLES``)."""
    review = policy_review(ctx.today)
    if not review.overdue:
        return []
    if review.reviewed_on:
        last = f"was last reviewed on {_hd(review.reviewed_on)}" + (
            f" by {review.reviewed_by}" if review.reviewed_by else ""
        )
    else:
        last = f"has not been reviewed since it was loaded on {_hd(review.since)}"
    upcoming = PolicyEvent.objects.filter(date__gte=ctx.today).order_by("date", "id").values("title", "date").first()
    ahead = (
        f"The next dated event is {upcoming['title']} on {_hd(upcoming['date'])}."
        if upcoming
        else "It holds no dated event after today."
    )
    return [
        ctx.alert(
            kind=K.POLICY_REVIEW_DUE,
            subject_type=T.POLICY_CALENDAR,
            subject_id=0,
            due_on=review.due_on,
            threshold=f"review@{review.since}:{review.days_since // REVIEW_EVERY_DAYS}",
            url=reverse("policy"),
            message=f"The policy calendar {last}, {review.days_since} days ago: check its events against their "
            f"sources, add what is new and mark it reviewed. {ahead}",
        )
    ]


# Kinds that change at most once a day: kept out of the scan, whose idle cost stays fixed
# (docs/benchmarks.md), and run by the daily task.
DAILY_SELECTORS = (policy_review_due,)


def select_daily(ctx: ScanContext) -> list[Alert]:
    return [alert for selector in DAILY_SELECTORS for alert in selector(ctx)]


__all__ = [
    "DAILY_SELECTORS",
    "SELECTORS",
    "WATERMARK",
    "ScanContext",
    "changes_since_last_scan",
    "policy_affected",
    "select_all",
    "select_daily",
    "url_for",
    "watermark_params",
    "IMPACT_CHECKED",
]

"""Reads for the licensing core: the clock of an application, and the querysets that
views, the API, alerts and analytics share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet, Subquery

from . import clock
from .models import (
    REVIEW_EVERY_DAYS,
    ApplicationEvent,
    ApplicationStatus,
    ControlledItem,
    LicenceApplication,
    PolicyCalendarReview,
    PolicyEvent,
    TimeLimitExemption,
)
from .models.applications import CLOCK_STATUSES, OPEN_STATUSES

S = ApplicationStatus


def supplement_periods(events: Iterable[ApplicationEvent]) -> list[clock.SupplementPeriod]:
    """Supplement periods from a timeline: each runs from entering ``supplement_requested``
    to the step back to ``accepted`` (or stays open; a decision closes it in the clock)."""
    periods: list[clock.SupplementPeriod] = []
    opened: dt.date | None = None
    for event in sorted(events, key=lambda e: (e.on, e.id or 0)):
        if event.to_status == S.SUPPLEMENT_REQUESTED:
            opened = event.on
        elif event.from_status == S.SUPPLEMENT_REQUESTED and opened is not None:
            if event.to_status == S.ACCEPTED:
                periods.append(clock.SupplementPeriod(opened, event.on))
            else:  # decided or withdrawn while waiting: the decision date ends the period
                periods.append(clock.SupplementPeriod(opened, None))
            opened = None
    if opened is not None:
        periods.append(clock.SupplementPeriod(opened, None))
    return periods


def clock_input(application: LicenceApplication, events: Iterable[ApplicationEvent] | None = None) -> clock.ClockInput:
    if events is None:
        events = application.events.all()  # served by prefetch_related("events") in lists
    exemption = application.time_limit_exemption
    return clock.ClockInput(
        accepted_on=application.accepted_on,
        review_days=clock.review_period(application.kind),
        supplements=tuple(supplement_periods(events)),
        decided_on=application.decided_on or application.closed_on,
        exempt_reason=TimeLimitExemption(exemption).label if exemption else "",
        pauses_for_supplement=settings.SUPPLEMENT_PAUSES_CLOCK,
    )


def application_clock(
    application: LicenceApplication,
    *,
    today: dt.date | None = None,
    cal: clock.WorkingCalendar | None = None,
    events: Iterable[ApplicationEvent] | None = None,
) -> clock.Clock:
    """The clock of one application as the UI, API and alerts show it."""
    return clock.compute(
        clock_input(application, events), today=today or clock.today(), cal=cal or clock.calendar()
    )


# The stored columns the clock can be read from (kept true by the services on every input
# change, by the calendar services on an override, and daily by the scan for open supplements).
CLOCK_FROM_COLUMNS = (
    "status", "kind", "accepted_on", "decided_on", "closed_on", "time_limit_exemption", "decision_due",
    "decision_due_estimated", "decision_working_days",
)


def clock_from_columns(row, *, today: dt.date, cal: clock.WorkingCalendar) -> clock.Clock | None:
    """The clock of an application from its stored columns (``row``: a mapping with the
    ``CLOCK_FROM_COLUMNS``), without its timeline; None where the columns cannot tell and the
    timeline is needed (``application_clock``): an open supplement period (the stored due
    date moves out daily), a decision past the due date whose elapsed days may exclude a later
    supplement period, a file withdrawn after acceptance. Equal to ``application_clock``
    wherever it answers (tests/api/test_list_from_rows.py compares them)."""
    exemption = row["time_limit_exemption"]
    if exemption:
        return clock.Clock(None, None, None, False, False, exempt_reason=TimeLimitExemption(exemption).label)
    if row["accepted_on"] is None:
        return clock.NO_CLOCK
    due, review = row["decision_due"], clock.review_period(row["kind"])
    if due is None or row["status"] == S.SUPPLEMENT_REQUESTED:
        return None
    if row["decided_on"] is not None or row["closed_on"] is not None:
        elapsed = row["decision_working_days"] if row["decided_on"] is not None else None
        if elapsed is None:
            return None
        return clock.Clock(due, elapsed, review - elapsed, False, row["decision_due_estimated"])
    if today > due:
        return None
    # Undecided, due today or later: every supplement period has ended (steps are never in
    # the future), so the days left are exactly the working days after today up to the due date.
    remaining = cal.working_days_between(today, due)
    return clock.Clock(due, review - remaining, remaining, False, row["decision_due_estimated"])


def applications_for_display() -> QuerySet[LicenceApplication]:
    """Applications with what a list or a representation shows, in a constant number of queries."""
    return LicenceApplication.objects.select_related("supplier", "purchase_order", "owner").prefetch_related(
        "lines__item",
        Prefetch("events", queryset=ApplicationEvent.objects.select_related("recorded_by").order_by("on", "id")),
    )


def open_applications() -> QuerySet[LicenceApplication]:
    return LicenceApplication.objects.filter(status__in=OPEN_STATUSES)


# The conditions on the stored clock, in one place: lists, filters, the dashboard and the
# alert scan all select "running", "overdue" and "due between" with these.
def clock_running_q() -> Q:
    """Accepted or supplement-requested, with a statutory limit (so a stored due date)."""
    return Q(status__in=CLOCK_STATUSES, decision_due__isnull=False)


def overdue_q(today: dt.date) -> Q:
    return clock_running_q() & Q(decision_due__lt=today)


def due_between_q(start: dt.date, end: dt.date) -> Q:
    return clock_running_q() & Q(decision_due__gte=start, decision_due__lte=end)


def clock_running_applications() -> QuerySet[LicenceApplication]:
    """Accepted or supplement-requested applications with a statutory limit."""
    return LicenceApplication.objects.filter(clock_running_q())


def overdue_applications(today: dt.date | None = None) -> QuerySet[LicenceApplication]:
    """Undecided applications whose stored due date has passed (served by the partial index)."""
    return LicenceApplication.objects.filter(overdue_q(today or clock.today()))


def items_by_code(codes=None) -> dict[str, ControlledItem]:
    """The catalogue by code (all of it, or only ``codes``): one query. Purchase-order lines name
    their items by code, so readers of orders look them up here."""
    qs = ControlledItem.objects.all() if codes is None else ControlledItem.objects.filter(code__in=set(codes))
    return {item.code: item for item in qs}


# --- The policy calendar's review -----------------------------------------------------------


@dataclass(frozen=True)
class PolicyReview:
    """When the policy calendar was last reviewed, and when the next review is due.

    ``since`` is the day the current review period runs from: the last review, or (never
    reviewed) the day the calendar's first event was loaded. No calendar at all: no period.
    """

    reviewed_on: dt.date | None
    reviewed_by: str  # the reviewer's name ("" when none, or the user was deleted)
    since: dt.date | None
    today: dt.date

    @property
    def due_on(self) -> dt.date | None:
        return self.since + dt.timedelta(days=REVIEW_EVERY_DAYS) if self.since else None

    @property
    def overdue(self) -> bool:
        return self.due_on is not None and self.due_on <= self.today

    @property
    def days_since(self) -> int | None:
        return (self.today - self.since).days if self.since else None


# The review state as annotations: the last review's date and reviewer, and the calendar's
# first load time. Uncorrelated subqueries, which PostgreSQL evaluates once per statement.
_LAST_REVIEW = (
    ("review_on", "reviewed_on"),
    ("review_first", "reviewed_by__first_name"),
    ("review_family", "reviewed_by__last_name"),
    ("review_user", "reviewed_by__username"),
)
_REVIEW_NAMES = ("review_loaded", *(name for name, _ in _LAST_REVIEW))


def with_policy_review(events: QuerySet[PolicyEvent]) -> QuerySet[PolicyEvent]:
    """``events`` carrying the calendar's review state on each row, so that a page listing
    events reads it in the same query (``policy_review(rows=...)``)."""
    last = PolicyCalendarReview.objects.order_by("-reviewed_on", "-id")
    return events.annotate(
        review_loaded=Subquery(PolicyEvent.objects.order_by("created_at", "id").values("created_at")[:1]),
        **{name: Subquery(last.values(path)[:1]) for name, path in _LAST_REVIEW},
    )


def policy_review(today: dt.date | None = None, *, rows: Sequence[PolicyEvent] = ()) -> PolicyReview:
    """The policy calendar's review state: from the first of ``rows`` (events read through
    ``with_policy_review``) without a query, else in one query (two when there are reviews
    but no event)."""
    today = today or clock.today()
    if rows:
        row = {name: getattr(rows[0], name) for name in _REVIEW_NAMES}
    else:
        row = with_policy_review(PolicyEvent.objects.order_by()).values(*_REVIEW_NAMES).first()
    if row is None:  # no event at all
        review = PolicyCalendarReview.objects.order_by("-reviewed_on", "-id").select_related("reviewed_by").first()
        if review is None:
            return PolicyReview(None, "", None, today)
        by = review.reviewed_by
        name = _reviewer(by and by.first_name, by and by.last_name, by and by.get_username())
        return PolicyReview(review.reviewed_on, name, review.reviewed_on, today)
    if row["review_on"] is not None:
        name = _reviewer(row["review_first"], row["review_family"], row["review_user"])
        return PolicyReview(row["review_on"], name, row["review_on"], today)
    since = row["review_loaded"].astimezone(ZoneInfo(settings.CLOCK_TIME_ZONE)).date()
    return PolicyReview(None, "", since, today)


def _reviewer(first: str | None, family: str | None, username: str | None) -> str:
    """A reviewer as people are named on the pages: the full name, else the username."""
    return " ".join(p for p in (first, family) if p) or username or ""

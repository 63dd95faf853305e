"""Reads for the licensing core: the clock of an application, and the querysets that
views, the API, alerts and analytics share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet

from . import clock
from .models import ApplicationEvent, ApplicationStatus, ControlledItem, LicenceApplication, TimeLimitExemption
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

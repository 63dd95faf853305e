"""The policy calendar (month view and list) and, for compliance, its events' forms."""

from __future__ import annotations

import calendar as pycal
import datetime as dt
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from core.exports import Column
from core.permissions import role_required
from core.roles import Role
from core.views import ListSpec, apply_errors, list_page

from .. import clock, services
from ..forms import PolicyEventForm
from ..models import REVIEW_EVERY_DAYS, PolicyEvent
from ..selectors import policy_review, with_policy_review
from .filters import PolicyEventFilter

# Extension points for the apps above licensing, which may not be imported here
# (docs/architecture.md, "Layers"); each app registers in its AppConfig.ready():
# DETAIL_PANELS: callable(request, event) -> HTML shown on an event's page;
# EVENT_COUNTERS: callable(events) -> {event id: count} shown beside each event on the calendar.
DETAIL_PANELS: list[Callable[[HttpRequest, PolicyEvent], str]] = []
EVENT_COUNTERS: list[Callable[[list[PolicyEvent]], dict[int, int]]] = []


def _count(events: list[PolicyEvent]) -> None:
    """Sets ``impact_count`` on each event (0 without counters)."""
    totals: dict[int, int] = {}
    for counter in EVENT_COUNTERS:
        for event_id, n in counter(events).items():
            totals[event_id] = totals.get(event_id, 0) + n
    for event in events:
        event.impact_count = totals.get(event.id, 0)


POLICY_COLUMNS = [
    Column("Date", lambda e: e.date, 12),
    Column("Title", lambda e: e.title, 50),
    Column("Jurisdiction", lambda e: e.jurisdiction, 10),
    Column("Kind", lambda e: e.get_kind_display(), 16),
    Column("Confidence", lambda e: e.confidence, 10),
    Column("Elements", lambda e: e.elements, 14),
    Column("Summary", lambda e: e.summary, 60),
    Column("Source", lambda e: e.source_title, 30),
    Column("Source URL", lambda e: e.source_url, 30),
]

POLICY_LIST = ListSpec(
    template="licensing/policy_list.html",
    filterset_class=PolicyEventFilter,
    sorts={"date": ["date"], "title": ["title"], "jurisdiction": ["jurisdiction"], "confidence": ["confidence"]},
    default_sort="date",
    columns=POLICY_COLUMNS,
    export_name="policy-events",
    title="Policy calendar",
)


def _month(value: str, today: dt.date) -> dt.date:
    """The first of ``?month=YYYY-MM`` within 1900-2100 (so the previous and next month exist), else this month."""
    try:
        year, month = (int(x) for x in value.split("-"))
        if 1900 <= year <= 2100:
            return dt.date(year, month, 1)
    except (ValueError, TypeError, OverflowError):
        pass
    return today.replace(day=1)


@role_required(Role.VIEWER)
def policy_calendar(request: HttpRequest) -> HttpResponse:
    """``?view=list`` (filterable, exportable) or the month grid (``?month=YYYY-MM``)."""
    today = clock.today()
    if request.GET.get("view") == "list" or request.GET.get("export"):
        review = {"review": policy_review(today), "review_every_days": REVIEW_EVERY_DAYS}
        return list_page(request, POLICY_LIST, PolicyEvent.objects.all(), {"today": today, "view": "list", **review})
    first = _month(request.GET.get("month", ""), today)
    weeks = pycal.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    events = list(PolicyEvent.objects.filter(date__gte=weeks[0][0], date__lte=weeks[-1][-1]).order_by("date", "id"))
    by_day: dict[dt.date, list[PolicyEvent]] = {}
    for event in events:
        by_day.setdefault(event.date, []).append(event)
    prev_month = (first - dt.timedelta(days=1)).replace(day=1)
    next_month = (first + dt.timedelta(days=32)).replace(day=1)
    # The review state rides on the upcoming events' query (a query of its own only when none is ahead).
    upcoming = list(with_policy_review(PolicyEvent.objects.filter(date__gte=today)).order_by("date", "id")[:8])
    _count(events + upcoming)
    return render(
        request,
        "licensing/policy_month.html",
        {
            "first": first,
            "today": today,
            "view": "month",
            "upcoming": upcoming,
            "weeks": [[(day, by_day.get(day, [])) for day in week] for week in weeks],
            "prev_month": prev_month,
            "next_month": next_month,
            "this_month": f"{today:%Y-%m}",
            "dows": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            "review": policy_review(today, rows=upcoming),
            "review_every_days": REVIEW_EVERY_DAYS,
        },
    )


@role_required(Role.COMPLIANCE)
def policy_mark_reviewed(request: HttpRequest) -> HttpResponse:
    """Compliance checked the calendar against its sources: the review reminder waits a month.
    POST only (the confirmed button on the policy pages); a GET goes back to the calendar."""
    if request.method != "POST":
        return redirect("policy")
    try:
        review = services.policy_calendar_mark_reviewed(actor=request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, "Not recorded: " + " ".join(m for msgs in exc.message_dict.values() for m in msgs))
    else:
        due = review.reviewed_on + dt.timedelta(days=REVIEW_EVERY_DAYS)
        messages.success(
            request,
            f"Policy calendar marked reviewed on {review.reviewed_on.day} {review.reviewed_on:%b %Y}; "
            f"the next review is due on {due.day} {due:%b %Y}.",
        )
    return redirect("policy")


@role_required(Role.VIEWER)
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(PolicyEvent.objects.prefetch_related("items"), pk=pk)
    panels = [panel(request, event) for panel in DETAIL_PANELS]
    return render(request, "licensing/policy_detail.html", {"event": event, "panels": panels})


def _edit(request: HttpRequest, event: PolicyEvent | None) -> HttpResponse:
    form = PolicyEventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in PolicyEventForm.Meta.fields}
        try:
            event = services.policy_event_save(event=event, actor=request.user, **fields)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, f"Policy event “{event.title}” saved.")
            return redirect("policy-detail", pk=event.pk)
    return render(request, "licensing/policy_form.html", {"form": form, "event": event})


@role_required(Role.COMPLIANCE)
def policy_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@role_required(Role.COMPLIANCE)
def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_object_or_404(PolicyEvent, pk=pk))

"""The 8 a.m. screen (docs/architecture.md#ui): what is late, what runs out, what is at risk, what policy
date is coming. Every count links to the filtered list behind it. A fixed number of
queries whatever the data size: counts and the first rows of each card, no per-row query."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from core.permissions import role_required
from core.roles import Role
from licensing import clock
from licensing.analytics import delay_stats_cached
from licensing.models import LicenceApplication, PolicyEvent
from licensing.models.applications import CLOCK_STATUSES, OPEN_STATUSES
from licensing.selectors import due_between_q, overdue_q, policy_review, with_policy_review
from licensing.views.applications import decorate_clocks

from ..models import Shipment, ShipmentStatus
from ..selectors import (
    customs_answers_held,
    licences_expiring,
    purchase_orders_at_risk,
    shipments_at_risk_q,
    with_hold_answer,
)
from .shipments import decorate_risk

DUE_SOON_WORKING_DAYS = 10
EXPIRING_DAYS = 30
TOP = 6  # rows shown per card; the count links to all of them
SUPPLIER_PANEL_ROWS = 10  # held items shown in the supplier-portal panel


@role_required(Role.VIEWER)
def dashboard(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    cal = clock.calendar()
    soon = cal.add_working_days(today, DUE_SOON_WORKING_DAYS)
    applications = LicenceApplication.objects.select_related("supplier")
    overdue_qs = applications.filter(overdue_q(today)).order_by("decision_due", "id")
    due_qs = applications.filter(due_between_q(today, soon)).order_by("decision_due", "id")
    expiring_qs = licences_expiring(today, EXPIRING_DAYS).select_related("supplier")
    # The badges say whether a held shipment's hold is answered (subqueries of the rows' query).
    shipments_qs = with_hold_answer(
        Shipment.objects.filter(shipments_at_risk_q(today)).select_related("supplier", "licence").order_by("eta", "id")
    )
    po_qs = (
        purchase_orders_at_risk()
        .select_related("supplier")
        .order_by("needed_by", "id")
    )
    # One pass over the applications for every application figure on the page.
    open_counts = LicenceApplication.objects.aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        running=Count("id", filter=Q(status__in=CLOCK_STATUSES)),
        overdue=Count("id", filter=overdue_q(today)),
        due_soon=Count("id", filter=due_between_q(today, soon)),
    )
    counts = {
        "overdue": open_counts["overdue"],
        "due_soon": open_counts["due_soon"],
        "expiring": expiring_qs.count(),
        "shipments": shipments_qs.count(),
        "purchase_orders": po_qs.count(),
    }
    overdue = list(overdue_qs[:TOP])
    due_soon = list(due_qs[:TOP])
    decorate_clocks(overdue + due_soon, cal=cal)
    shipments = list(shipments_qs[:TOP])
    decorate_risk(shipments)
    for licence in (expiring := list(expiring_qs[:TOP])):
        licence.ui_days_left = (licence.valid_until - today).days
    # Suppliers' customs answers held for confirmation, for the supplier-portal panel (one query;
    # one more than shown tells whether there are more).
    held_answers = list(customs_answers_held()[: SUPPLIER_PANEL_ROWS + 1])
    policy = list(with_policy_review(PolicyEvent.objects.filter(date__gte=today)).order_by("date", "id")[:TOP])
    for event in policy:
        event.ui_days_away = (event.date - today).days
    # Approval delays: the medians of the delay analytics (docs/analytics.md), the same figures as
    # GET /api/v1/analytics/delays/ and the supplier scorecards, cached until the next decision.
    by_supplier = sorted(
        delay_stats_cached(group_by="supplier"), key=lambda r: r["working_days_median"] or 0, reverse=True
    )[:8]
    chart = [
        {
            "label": f"{r['label']} ({r['count']})",
            "value": r["working_days_median"],
            "href": reverse("supplier-detail", args=[r["key"]]),
        }
        for r in by_supplier
        if r["working_days_median"] is not None
    ]
    by_month = [
        {"label": f"{dt.date.fromisoformat(r['key'] + '-01'):%b %Y} ({r['count']})", "value": r["working_days_median"]}
        for r in delay_stats_cached(group_by="month")
        if r["working_days_median"] is not None
    ][-12:]
    return render(
        request,
        "shipments/dashboard.html",
        {
            "today": today,
            "soon": soon,
            "counts": counts,
            "overdue": overdue,
            "due_soon": due_soon,
            "expiring": expiring,
            "shipments": shipments,
            "purchase_orders": list(po_qs[:TOP]),
            "policy": policy,
            "policy_review": policy_review(today, rows=policy),  # read with the events above
            "open_counts": open_counts,
            "chart": chart,
            "due_days": DUE_SOON_WORKING_DAYS,
            "expiring_days": EXPIRING_DAYS,
            "by_month": by_month,
            "held": ShipmentStatus.HELD,
            "held_answers": held_answers[:SUPPLIER_PANEL_ROWS],
            "more_held_answers": len(held_answers) > SUPPLIER_PANEL_ROWS,
            "supplier_panel_rows": SUPPLIER_PANEL_ROWS,
        },
    )

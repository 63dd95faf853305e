"""UI of own products, the impact of a policy event and the what-if page (docs/exposure.md):
they read the request, call the selectors and render."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string

from core.api.fields import valid_id
from core.exports import Column, export_xlsx_sheets
from core.permissions import role_required
from core.roles import Role
from licensing import clock
from licensing.models import PendingDecision, Scenario
from licensing.rules import Rules
from shipments.views.imports import import_view

from . import impact, selectors, whatif
from .spreadsheet_import import PRODUCT_IMPORT


@role_required(Role.VIEWER)
def product_list(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    rules = Rules.load()
    shares = selectors.product_shares(selectors.products_with_content(), on=today, rules=rules)
    return render(request, "exposure/product_list.html", {"shares": shares, "today": today})


@role_required(Role.VIEWER)
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(selectors.products_with_content(), pk=pk)
    today = clock.today()
    rules = Rules.load()
    share = selectors.product_shares([product], on=today, rules=rules)[0]
    periods = [("As scheduled (no scenario)", selectors.rule_periods(rules))] + [
        (s.name, selectors.rule_periods(rules, s)) for s in Scenario.objects.all()
    ]
    return render(
        request, "exposure/product_detail.html",
        {"product": product, "share": share, "periods": periods, "today": today},
    )


@role_required(Role.PROCUREMENT)
def product_import(request: HttpRequest) -> HttpResponse:
    return import_view(request, "products", PRODUCT_IMPORT)


def _scenario(request: HttpRequest) -> Scenario | None:
    """``?scenario=<id>``; anything else (absent, malformed, unknown) means "as scheduled"."""
    sid = valid_id(request.GET.get("scenario"))
    return Scenario.objects.filter(pk=sid).first() if sid else None


def event_impact_panel(request: HttpRequest, event) -> str:
    """The impact panel of a policy event's page (registered in apps.py)."""
    scenario = _scenario(request)
    result = impact.impact_of(event, scenario=scenario)
    objects = impact.impact_objects(result)
    return render_to_string(
        "exposure/_event_impact.html",
        {"impact": result, "scenario": scenario, "scenarios": Scenario.objects.all(), **objects},
        request=request,
    )


def _day(value: str | None, default: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        return default
    return day if 1900 <= day.year <= 2100 else default


def _default_day(today: dt.date) -> dt.date:
    """The next scheduled end of an undecided event, else a year from today."""
    nxt = PendingDecision.objects.filter(outcome="", scheduled_end__gt=today).order_by("scheduled_end").first()
    return nxt.scheduled_end if nxt else today + dt.timedelta(days=365)


def _what_if_sheets(w: whatif.WhatIf) -> list:
    def tonnes(t):
        return t.tonnes

    order_cols = [
        Column("Change", lambda r: r[0], 16), Column("Order", lambda r: r[1].order.number, 16),
        Column("Supplier", lambda r: r[1].order.supplier.name, 28),
        Column("Elements", lambda r: " ".join(r[1].elements)),
        Column("Tonnes", lambda r: tonnes(r[1].totals)), Column("Pieces", lambda r: r[1].totals.pcs),
        Column("Value", lambda r: "; ".join(f"{v:.2f} {c}" for c, v in r[1].totals.value.items()), 24),
        Column("Needed by", lambda r: r[1].order.needed_by, 12),
    ]
    element_cols = [
        Column("Change", lambda r: r[0]), Column("Element", lambda r: r[1]), Column("Tonnes", lambda r: tonnes(r[2])),
        Column("Pieces", lambda r: r[2].pcs),
    ]
    product_cols = [
        Column("Change", lambda r: r[0]), Column("SKU", lambda r: r[1].product.sku),
        Column("Name", lambda r: r[1].product.name, 28), Column("Share %", lambda r: r[1].share_percent),
        Column("Destinations", lambda r: " ".join(r[1].destinations), 20),
    ]
    file_cols = [
        Column("Order", lambda f: f.order.number), Column("Supplier", lambda f: f.order.supplier.name, 28),
        Column("Elements", lambda f: " ".join(f.elements)), Column("Decision p50 if filed today", lambda f: f.p50, 22),
        Column("Decision p90 if filed today", lambda f: f.p90, 22), Column("Decided in time", lambda f: f.in_time),
        Column("Sample", lambda f: f.sample),
    ]
    sides = (("needs a licence", w.newly), ("no longer needs one", w.no_longer))
    return [
        ("Orders", [(label, c) for label, side in sides for c in side.orders], order_cols),
        ("Tonnes per element", [(label, e, t) for label, side in sides for e, t in side.per_element.items()],
         element_cols),
        ("Products", [(label, p) for label, side in sides for p in side.products], product_cols),
        ("File now", w.file_now, file_cols),
    ]


@role_required(Role.VIEWER)
def what_if_page(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    on = _day(request.GET.get("on"), _default_day(today))
    scenario = _scenario(request)
    result = whatif.what_if(on=on, today=today, scenario=scenario)
    if request.GET.get("export") == "xlsx":
        return export_xlsx_sheets(_what_if_sheets(result), f"what-if-{on:%Y-%m-%d}")
    return render(
        request, "exposure/what_if.html",
        {"w": result, "scenarios": Scenario.objects.all(), "scenario": scenario, "on": on, "today": today},
    )

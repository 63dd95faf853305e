"""UI of own products, the impact of a policy event and the what-if page (docs/exposure.md):
they read the request, call the selectors and render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string

from core.api.fields import valid_id
from core.permissions import role_required
from core.roles import Role
from licensing import clock
from licensing.models import Scenario
from licensing.rules import Rules
from shipments.views.imports import import_view

from . import impact, selectors
from .imports import PRODUCT_IMPORT


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

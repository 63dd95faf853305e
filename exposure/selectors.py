"""Reads of the exposure app: the 0.1 % share of each product on a day and scenario, and when
the rule is in force (docs/exposure.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from licensing.models import Scenario
from licensing.rules import Rules

from .models import FxRate, Product, ProductContent
from .threshold import Content, FxTable, Share, china_share

# The control class of Announcement No. 61's extraterritorial test in the reference data.
RULE_0_1_PERCENT = "REE-0.1PCT"


def products_with_content() -> QuerySet[Product]:
    return Product.objects.prefetch_related(
        Prefetch("contents", queryset=ProductContent.objects.select_related("supplier", "purchase_order"))
    )


def fx_table() -> FxTable:
    return FxTable.from_rows(FxRate.objects.values_list("currency", "quote", "valid_from", "rate"))


@dataclass
class ProductShare:
    product: Product
    share: Share
    rule_in_force: bool

    @property
    def needs_licence(self) -> bool:
        """At or above 0.1 % on a day the rule is in force."""
        return self.rule_in_force and self.share.at_or_above


def product_share(product: Product, *, on: dt.date, rules: Rules, fx: FxTable) -> Share:
    contents = [Content(c.element, c.china_origin, c.value, c.currency) for c in product.contents.all()]
    return china_share(
        unit_value=product.unit_value, currency=product.currency, contents=contents,
        controlled=rules.controlled_elements(), fx=fx, on=on,
    )


def product_shares(
    products, *, on: dt.date, scenario: Scenario | None = None, rules: Rules | None = None, fx: FxTable | None = None
) -> list[ProductShare]:
    """Each product's share on ``on`` and whether the 0.1 % rule is in force then under ``scenario``."""
    rules = rules or Rules.load()
    fx = fx or fx_table()
    in_force = rules.is_controlled(RULE_0_1_PERCENT, on, scenario)
    return [ProductShare(p, product_share(p, on=on, rules=rules, fx=fx), in_force) for p in products]


def rule_periods(rules: Rules, scenario: Scenario | None = None, code: str = RULE_0_1_PERCENT):
    """The periods [start, end) over which an item is controlled under ``scenario`` (end None:
    open-ended), read from the window boundaries."""
    item_id = rules.item_id(code)
    if item_id is None:
        return []
    days = set()
    for w in rules.windows_of(item_id):
        days.add(w.starts_on)
        if (end := rules.window_end(w, scenario)) is not None:
            days.add(end)
    periods, start = [], None
    for day in sorted(days):
        on = rules.is_controlled(item_id, day, scenario)
        if on and start is None:
            start = day
        elif not on and start is not None:
            periods.append((start, day))
            start = None
    if start is not None:
        periods.append((start, None))
    return periods

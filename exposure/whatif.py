"""What if: pick a date and a scenario; against today, what newly needs a licence, what no
longer does, and the applications that would have to be filed now to be decided in time
(docs/exposure.md).

"Needs a licence" is the rule function on each open order line's item (and, for own products,
the 0.1 % test on a day the rule is in force). The applications to file are the orders that
newly need a licence and have no open application yet; their decision dates come from the
predicted decision times (``licensing.predictions``) for an application filed today.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from licensing.models import Scenario
from licensing.predictions import Predictor
from licensing.selectors import open_applications
from suppliers.models import PurchaseOrder

from .impact import Line, OpenBook, Totals
from .selectors import RULE_0_1_PERCENT, product_share


@dataclass
class OrderChange:
    order: PurchaseOrder
    elements: list[str]
    totals: Totals


@dataclass
class ProductChange:
    product: object
    share_percent: object
    destinations: list[str]


@dataclass
class FileNow:
    order: PurchaseOrder
    elements: list[str]
    p50: dt.date | None
    p90: dt.date | None
    sample: int
    level: str
    deadline: dt.date

    @property
    def in_time(self) -> bool | None:
        """Decided by the date (at the p90, else the p50); None when nothing can be predicted."""
        day = self.p90 or self.p50
        return None if day is None else day <= self.deadline


@dataclass
class Side:
    orders: list[OrderChange] = field(default_factory=list)
    per_element: dict[str, Totals] = field(default_factory=dict)
    products: list[ProductChange] = field(default_factory=list)

    @property
    def destinations(self) -> list[str]:
        return sorted({c for p in self.products for c in p.destinations})


@dataclass
class WhatIf:
    on: dt.date
    today: dt.date
    scenario: Scenario | None
    newly: Side
    no_longer: Side
    file_now: list[FileNow]


def _side(book: OpenBook, lines: list[Line], orders: dict[int, PurchaseOrder]) -> Side:
    side = Side()
    per_order: dict[int, Totals] = defaultdict(Totals)
    elements: dict[int, set[str]] = defaultdict(set)
    per_element: dict[str, Totals] = defaultdict(Totals)
    for line in lines:
        per_order[line.owner_id].add(line)
        for e in book.element_of_line(line):
            elements[line.owner_id].add(e)
            per_element[e].add(line)
    side.orders = [OrderChange(orders[i], sorted(elements[i]), per_order[i]) for i in sorted(per_order)]
    side.per_element = dict(sorted(per_element.items()))
    return side


def what_if(*, on: dt.date, today: dt.date, scenario: Scenario | None = None, book: OpenBook | None = None) -> WhatIf:
    book = book or OpenBook.load()
    rules = book.rules
    newly, gone = [], []
    for line in book.orders:
        before = rules.is_controlled(line.item_id, today, scenario) if line.item_id else False
        after = rules.is_controlled(line.item_id, on, scenario) if line.item_id else False
        if after and not before:
            newly.append(line)
        elif before and not after:
            gone.append(line)
    ids = {line.owner_id for line in newly + gone}
    orders = {po.id: po for po in PurchaseOrder.objects.filter(id__in=ids).select_related("supplier")}
    result = WhatIf(on, today, scenario, _side(book, newly, orders), _side(book, gone, orders), [])
    _products(book, result)
    result.file_now = _file_now(result, book)
    return result


def _products(book: OpenBook, result: WhatIf) -> None:
    rules = book.rules
    rule_then = rules.is_controlled(RULE_0_1_PERCENT, result.on, result.scenario)
    rule_now = rules.is_controlled(RULE_0_1_PERCENT, result.today, result.scenario)
    for p in book.products:
        then = product_share(p, on=result.on, rules=rules, fx=book.fx)
        now = product_share(p, on=result.today, rules=rules, fx=book.fx)
        needs_then, needs_now = rule_then and then.at_or_above, rule_now and now.at_or_above
        if needs_then and not needs_now:
            result.newly.products.append(ProductChange(p, then.percent, p.destination_list))
        elif needs_now and not needs_then:
            result.no_longer.products.append(ProductChange(p, now.percent, p.destination_list))


def _file_now(result: WhatIf, book: OpenBook) -> list[FileNow]:
    """Orders that newly need a licence and have no open application: when would one filed
    today be decided?"""
    if not result.newly.orders:
        return []
    covered = set(
        open_applications().filter(purchase_order__in=[c.order.id for c in result.newly.orders])
        .values_list("purchase_order_id", flat=True)
    )
    predictor = Predictor.load(today=result.today)
    accepted = predictor.assumed_acceptance(result.today)
    out = []
    for change in result.newly.orders:
        if change.order.id in covered:
            continue
        p50, p90, p = predictor.dates(
            supplier_id=change.order.supplier_id, elements=change.elements, accepted_on=accepted
        )
        out.append(FileNow(change.order, change.elements, p50, p90, p.sample_size, p.level, result.on))
    return out


def what_if_as_dict(w: WhatIf) -> dict:
    """The API representation (decimals as strings)."""

    def side(s: Side) -> dict:
        return {
            "purchase_orders": [
                {"id": c.order.id, "number": c.order.number, "elements": c.elements, **c.totals.as_dict()}
                for c in s.orders
            ],
            "per_element": {e: t.as_dict() for e, t in s.per_element.items()},
            "products": [
                {"id": p.product.id, "sku": p.product.sku, "share_percent": str(p.share_percent),
                 "destinations": p.destinations}
                for p in s.products
            ],
            "destinations": s.destinations,
        }

    return {
        "on": w.on, "today": w.today, "scenario": w.scenario.id if w.scenario else None,
        "newly_needs_licence": side(w.newly), "no_longer_needs_licence": side(w.no_longer),
        "file_now": [
            {"purchase_order": f.order.id, "number": f.order.number, "elements": f.elements, "p50": f.p50,
             "p90": f.p90, "sample_size": f.sample, "level": f.level, "in_time": f.in_time}
            for f in w.file_now
        ],
    }

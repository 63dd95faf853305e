"""What a policy event does to this importer: the open purchase orders, pending shipments,
open applications and own products it touches, with quantities per element and value
(docs/exposure.md).

An event touches the controlled items it names and the items whose control windows it opens or
closes (``Rules.bounds_on``), together with the users' own items under those classes. The open
book (every open order line, pending shipment line, open application line and product) is read
once, in a fixed number of queries, so the calendar can count the impact of a whole month.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from licensing.models import LicenceApplication, PolicyEvent, Scenario
from licensing.rules import Rules
from licensing.selectors import open_applications
from shipments.models import PENDING_STATUSES, Shipment
from suppliers.models import PurchaseOrder

from .models import Product
from .selectors import RULE_0_1_PERCENT, fx_table, product_share, products_with_content
from .threshold import FxTable

KG_PER = {"kg": Decimal(1), "t": Decimal(1000)}


@dataclass(frozen=True)
class Line:
    """One open line: whose it is, its item, and its mass (kg) or count (pcs) and value."""

    owner_id: int
    item_id: int | None
    kg: Decimal
    pcs: Decimal
    value: Decimal | None
    currency: str


def _line(owner_id: int, item_id: int | None, quantity: Decimal, unit: str, value, currency: str) -> Line:
    if unit in KG_PER:
        return Line(owner_id, item_id, quantity * KG_PER[unit], Decimal(0), value, currency)
    return Line(owner_id, item_id, Decimal(0), quantity, value, currency)


@dataclass
class Totals:
    kg: Decimal = Decimal(0)
    pcs: Decimal = Decimal(0)
    value: dict[str, Decimal] = field(default_factory=dict)

    def add(self, line: Line) -> None:
        self.kg += line.kg
        self.pcs += line.pcs
        if line.value is not None:
            self.value[line.currency] = self.value.get(line.currency, Decimal(0)) + line.value

    @property
    def tonnes(self) -> Decimal:
        return self.kg / 1000

    def as_dict(self) -> dict:
        """Decimals as strings (JSON numbers would round them): quantities exact, values to the cent."""
        return {
            "kg": _plain(self.kg), "tonnes": _plain(self.tonnes), "pieces": _plain(self.pcs),
            "value": {cur: str(v.quantize(CENT)) for cur, v in sorted(self.value.items())},
        }


CENT = Decimal("0.01")


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


@dataclass
class OpenBook:
    """Every open line, read once."""

    rules: Rules
    fx: FxTable
    orders: list[Line]
    shipments: list[Line]
    applications: list[Line]
    products: list[Product]

    @classmethod
    def load(cls, rules: Rules | None = None) -> OpenBook:
        rules = rules or Rules.load()
        orders = [
            _line(po_id, rules.item_id(code), qty, unit, qty * price if price is not None else None, cur)
            for po_id, code, qty, unit, price, cur in PurchaseOrder.objects.filter(
                status=PurchaseOrder.Status.OPEN
            ).values_list("id", "lines__item_code", "lines__quantity", "lines__unit", "lines__unit_price",
                          "lines__currency")
            if code is not None
        ]
        shipments = [
            _line(sid, item_id, qty, unit, None, "")
            for sid, item_id, qty, unit in Shipment.objects.filter(status__in=PENDING_STATUSES).values_list(
                "id", "lines__item_id", "lines__quantity", "lines__unit"
            )
            if item_id is not None
        ]
        applications = [
            _line(aid, item_id, qty, unit, value, cur)
            for aid, item_id, qty, unit, value, cur in open_applications().values_list(
                "id", "lines__item_id", "lines__quantity", "lines__unit", "lines__value", "lines__currency"
            )
            if item_id is not None
        ]
        return cls(rules, fx_table(), orders, shipments, applications, list(products_with_content()))

    # -- which items ------------------------------------------------------------------------

    def with_descendants(self, roots: set[int]) -> set[int]:
        """``roots`` and every item whose chain of parents reaches one of them."""
        found = set(roots)
        for item_id in self.rules.parents:
            seen, current = set(), item_id
            while current is not None and current not in seen:
                if current in roots:
                    found.add(item_id)
                    break
                seen.add(current)
                current = self.rules.parents.get(current)
        return found

    def elements_of(self, items: Iterable[int]) -> set[str]:
        return {e for i in items for e in self.rules.elements.get(i, [])}

    def element_of_line(self, line: Line) -> list[str]:
        return self.rules.elements.get(line.item_id, []) or ["—"]


@dataclass
class ProductHit:
    product: Product
    reason: str
    share_percent: Decimal | None


@dataclass
class Impact:
    event: PolicyEvent
    items: set[int]
    order_ids: list[int]
    shipment_ids: list[int]
    application_ids: list[int]
    products: list[ProductHit]
    per_element: dict[str, dict[str, Totals]]

    @property
    def count(self) -> int:
        return len(self.order_ids) + len(self.shipment_ids) + len(self.application_ids) + len(self.products)


def event_items(book: OpenBook, event: PolicyEvent, scenario: Scenario | None = None, named=None) -> set[int]:
    named = set(named if named is not None else (i.id for i in event.items.all()))
    return book.with_descendants(named | book.rules.bounds_on(event.date, scenario))


def _products(book: OpenBook, items: set[int], on: dt.date) -> list[ProductHit]:
    elements = book.elements_of(items)
    rule_touched = book.rules.item_id(RULE_0_1_PERCENT) in items
    hits = []
    for p in book.products:
        share = product_share(p, on=on, rules=book.rules, fx=book.fx)
        reasons = []
        if rule_touched and share.at_or_above:
            reasons.append("China-origin controlled rare earths at or above 0.1 % of its value")
        cn = sorted({c.element for c in p.contents.all() if c.china_origin and c.element in elements})
        if cn:
            reasons.append(f"China-origin {', '.join(cn)} content")
        if reasons:
            hits.append(ProductHit(p, "; ".join(reasons), share.percent))
    return hits


def impact_of(
    event: PolicyEvent, *, book: OpenBook | None = None, scenario: Scenario | None = None, named=None
) -> Impact:
    """The open items one event touches; ``named`` (item ids) spares the query for its items."""
    book = book or OpenBook.load()
    items = event_items(book, event, scenario, named)
    per_element: dict[str, dict[str, Totals]] = defaultdict(lambda: defaultdict(Totals))
    owners: dict[str, list[int]] = {}
    for kind, lines in (("orders", book.orders), ("shipments", book.shipments), ("applications", book.applications)):
        hit = [line for line in lines if line.item_id in items]
        owners[kind] = sorted({line.owner_id for line in hit})
        for line in hit:
            for element in book.element_of_line(line):
                per_element[element][kind].add(line)
    return Impact(
        event=event, items=items, order_ids=owners["orders"], shipment_ids=owners["shipments"],
        application_ids=owners["applications"], products=_products(book, items, event.date),
        per_element={e: dict(kinds) for e, kinds in sorted(per_element.items())},
    )


def impact_counts(events: Iterable[PolicyEvent], scenario: Scenario | None = None) -> dict[int, int]:
    """How many open items each event touches, for the calendar (one load for all events)."""
    events = list(events)
    if not events:
        return {}
    book = OpenBook.load()
    named: dict[int, set[int]] = defaultdict(set)
    for event_id, item_id in PolicyEvent.items.through.objects.filter(
        policyevent_id__in=[e.id for e in events]
    ).values_list("policyevent_id", "controlleditem_id"):
        named[event_id].add(item_id)
    return {e.id: impact_of(e, book=book, scenario=scenario, named=named[e.id]).count for e in events}


def impact_objects(result: Impact) -> dict[str, list]:
    """The touched orders, shipments and applications themselves, for display (three queries)."""
    return {
        "orders": list(
            PurchaseOrder.objects.filter(id__in=result.order_ids).select_related("supplier").order_by("number")
        ),
        "shipments": list(
            Shipment.objects.filter(id__in=result.shipment_ids).select_related("supplier").order_by("id")
        ),
        "applications": list(
            LicenceApplication.objects.filter(id__in=result.application_ids).select_related("supplier").order_by("id")
        ),
    }


def impact_as_dict(result: Impact) -> dict:
    """The API representation."""
    return {
        "event": result.event.id,
        "date": result.event.date,
        "count": result.count,
        "purchase_orders": result.order_ids,
        "shipments": result.shipment_ids,
        "applications": result.application_ids,
        "products": [
            {
                "id": h.product.id, "sku": h.product.sku, "reason": h.reason,
                "share_percent": None if h.share_percent is None else str(h.share_percent),
                "destinations": h.product.destination_list,
            }
            for h in result.products
        ],
        "per_element": {
            element: {kind: totals.as_dict() for kind, totals in kinds.items()}
            for element, kinds in result.per_element.items()
        },
    }

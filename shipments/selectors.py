"""Reads for suppliers, orders and shipments, and the drawdown of licences (docs/architecture.md#drawdown).

Balances are computed from the shipments every time (never a running total that drifts):
one correlated subquery per figure, so a list of N licence lines costs one query.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

from django.db.models import (
    Case,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from core.exports import read_values
from licensing import clock
from licensing.models import Licence, LicenceApplication, LicenceLine, LicenceStatus
from suppliers.models import PurchaseOrder, PurchaseOrderLine

from .models import (
    PENDING_STATUSES,
    RESERVING_STATUSES,
    USING_STATUSES,
    CustomsAnswer,
    CustomsAnswerStatus,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
)

QTY = DecimalField(max_digits=24, decimal_places=6)
ZERO = Value(Decimal("0"), output_field=QTY)

# Mass units convert to kg for summing; pieces stay pieces (a mismatch is refused on write).
TO_BASE = {"t": Decimal("1000"), "kg": Decimal("1"), "pcs": Decimal("1")}


def _to_base(field: str = "quantity", unit: str = "unit"):
    return Case(
        When(**{unit: "t"}, then=ExpressionWrapper(F(field) * Value(TO_BASE["t"]), output_field=QTY)),
        default=F(field),
        output_field=QTY,
    )


def _drawn(statuses, exclude_shipment_id: int | None = None):
    """Sum of shipment-line quantities (in base units) on this licence line's licence and item."""
    lines = ShipmentLine.objects.filter(
        shipment__licence=OuterRef("licence"), item=OuterRef("item"), shipment__status__in=list(statuses)
    )
    if exclude_shipment_id is not None:
        lines = lines.exclude(shipment_id=exclude_shipment_id)
    total = lines.values("item").annotate(total=Sum(_to_base())).values("total")
    return Coalesce(Subquery(total, output_field=QTY), ZERO)


def licence_lines_with_drawdown(
    queryset: QuerySet[LicenceLine] | None = None, *, exclude_shipment_id: int | None = None
) -> QuerySet[LicenceLine]:
    """Licence lines annotated with ``reserved_quantity``, ``used_quantity``, ``drawn_quantity``
    and ``balance``, all in the line's own unit. ``exclude_shipment_id`` leaves one shipment
    out (to check a change to that shipment against what the others draw)."""
    queryset = queryset if queryset is not None else LicenceLine.objects.all()
    # Base units back to the line's unit by multiplying with the inverse factor, never by
    # dividing: SQLite divides two whole numbers as integers (500 kg / 1000 would give 0 t).
    from_base = Case(When(unit="t", then=Value(Decimal("0.001"))), default=Value(Decimal("1")), output_field=QTY)
    return queryset.annotate(
        _reserved_base=_drawn(RESERVING_STATUSES, exclude_shipment_id),
        _used_base=_drawn(USING_STATUSES, exclude_shipment_id),
    ).annotate(
        reserved_quantity=ExpressionWrapper(F("_reserved_base") * from_base, output_field=QTY),
        used_quantity=ExpressionWrapper(F("_used_base") * from_base, output_field=QTY),
        drawn_quantity=ExpressionWrapper((F("_reserved_base") + F("_used_base")) * from_base, output_field=QTY),
        balance=ExpressionWrapper(
            F("approved_quantity") - (F("_reserved_base") + F("_used_base")) * from_base, output_field=QTY
        ),
    )


def licences_with_lines() -> QuerySet[Licence]:
    """Licences with their lines' drawdown prefetched: two queries for any page size."""
    return Licence.objects.select_related("supplier", "application").prefetch_related(
        Prefetch("lines", queryset=licence_lines_with_drawdown().select_related("item").order_by("id"))
    )


def licence_suggestion(*, supplier_id: int, lines: list[dict], ship_date: dt.date | None) -> Licence | None:
    """The licence SAP GTS and Oracle GTM would pick: active, same supplier, valid on the ship
    date, with balance for every line's item, soonest expiry first (docs/architecture.md#drawdown)."""
    if not lines:
        return None
    on = ship_date or clock.today()
    needed: dict[int, Decimal] = {}
    for line in lines:
        item_id = getattr(line["item"], "pk", line["item"])
        needed[item_id] = needed.get(item_id, Decimal(0)) + Decimal(line["quantity"]) * TO_BASE[line.get("unit", "kg")]
    candidates = (
        Licence.objects.filter(
            supplier_id=supplier_id, status=LicenceStatus.ACTIVE, valid_from__lte=on, valid_until__gte=on
        )
        .prefetch_related(Prefetch("lines", queryset=licence_lines_with_drawdown()))
        .order_by("valid_until", "id")
    )
    for licence in candidates:
        balances = {line.item_id: line.balance * TO_BASE[line.unit] for line in licence.lines.all()}
        if all(balances.get(item, Decimal(-1)) >= qty for item, qty in needed.items()):
            return licence
    return None


def licence_drawing_shipments(licence_ids: list[int]) -> dict[int, list[str]]:
    """The shipments (any but cancelled) assigned to each licence, by reference: registered
    in ``licensing.services.LICENCE_DRAWN_BY`` so that an approval is not undone under them."""
    drawn: dict[int, list[str]] = {}
    rows = (
        Shipment.objects.filter(licence_id__in=licence_ids)
        .exclude(status=ShipmentStatus.CANCELLED)
        .order_by("licence_id", "reference", "pk")
        .values_list("licence_id", "reference")
    )
    for licence_id, reference in rows:
        drawn.setdefault(licence_id, []).append(f"shipment {reference}")
    return drawn


def shipments_for_display() -> QuerySet[Shipment]:
    return with_hold_answer(
        Shipment.objects.select_related("supplier", "purchase_order", "licence").prefetch_related("lines__item")
    )


# --- Exports: a list's rows as dicts, no model instance (core.exports.read_values) ---------------

SHIPMENT_EXPORT_FIELDS = (
    "id",
    "reference",
    "external_ref",
    "supplier__name",
    "purchase_order__number",
    "licence_id",
    "licence__number",
    "licence__valid_until",
    "status",
    "transport_mode",
    "planned_ship_date",
    "actual_ship_date",
    "eta",
    "arrived_on",
    "customs_response_due",
    "customs_question",
)
LICENCE_EXPORT_FIELDS = (
    "id",
    "number",
    "external_ref",
    "supplier__name",
    "application__reference",
    "kind",
    "valid_from",
    "valid_until",
    "status",
)
PURCHASE_ORDER_EXPORT_FIELDS = (
    "id",
    "number",
    "external_ref",
    "supplier__name",
    "order_date",
    "needed_by",
    "status",
    "at_risk",
    "expected_arrival",
)


def _lines_of(lines: QuerySet, owner: str, ids: list[int], *fields: str) -> dict[int, list[dict]]:
    """The lines of the owners ``ids`` as dicts of ``fields``, by owner, in line order: one query."""
    by_owner: dict[int, list[dict]] = defaultdict(list)
    for line in lines.filter(**{f"{owner}__in": ids}).order_by(owner, "id").values(owner, *fields):
        by_owner[line[owner]].append(line)
    return by_owner


def _ships_after_expiry(row: dict) -> bool:
    """``Shipment.ships_after_expiry`` (the model's one rule) of an export row."""
    shipment = SimpleNamespace(
        licence_id=row["licence_id"],
        planned_ship_date=row["planned_ship_date"],
        licence=SimpleNamespace(valid_until=row["licence__valid_until"]),
    )
    return Shipment.ships_after_expiry.fget(shipment)


def shipments_for_export(shipments: QuerySet[Shipment]) -> Iterator[dict]:
    """The shipments of a (filtered, sorted) list as dicts of ``SHIPMENT_EXPORT_FIELDS`` with
    ``ships_after_expiry`` and ``lines`` (dicts of ``item__code``, ``quantity``, ``unit``): two
    queries a chunk of 2,000 shipments, whatever the number of rows or lines."""
    for chunk in read_values(shipments, SHIPMENT_EXPORT_FIELDS):
        lines = _lines_of(
            ShipmentLine.objects, "shipment_id", [r["id"] for r in chunk], "item__code", "quantity", "unit"
        )
        for row in chunk:
            row["ships_after_expiry"] = _ships_after_expiry(row)
            row["lines"] = lines.get(row["id"], ())
            yield row


def licence_lines_for_export(licences: QuerySet[Licence]) -> Iterator[tuple[dict, dict | None]]:
    """A (filtered, sorted) licence list as (licence, line) dict pairs, one a licence line (a
    licence without lines gets one pair with None): the lines with their drawdown
    (``item__code``, ``approved_quantity``, ``drawn_quantity``, ``balance``, ``unit``), two
    queries a chunk of 2,000 licences."""
    for chunk in read_values(licences, LICENCE_EXPORT_FIELDS):
        lines = _lines_of(
            licence_lines_with_drawdown(),
            "licence_id",
            [r["id"] for r in chunk],
            "item__code",
            "approved_quantity",
            "drawn_quantity",
            "balance",
            "unit",
        )
        for licence in chunk:
            for line in lines.get(licence["id"]) or [None]:
                yield licence, line


def purchase_orders_for_export(orders: QuerySet[PurchaseOrder]) -> Iterator[dict]:
    """A (filtered, sorted) purchase order list as dicts of ``PURCHASE_ORDER_EXPORT_FIELDS``
    with ``lines`` (dicts of ``item_code``, ``quantity``, ``unit``): two queries a chunk."""
    for chunk in read_values(orders, PURCHASE_ORDER_EXPORT_FIELDS):
        lines = _lines_of(
            PurchaseOrderLine.objects, "purchase_order_id", [r["id"] for r in chunk], "item_code", "quantity", "unit"
        )
        for row in chunk:
            row["lines"] = lines.get(row["id"], ())
            yield row


def shipment_after_expiry_q() -> Q:
    """Planned or booked, and planned to ship after the licence ends."""
    return Q(
        status__in=list(RESERVING_STATUSES), licence__isnull=False, planned_ship_date__gt=F("licence__valid_until")
    )


def shipment_late_q(today: dt.date) -> Q:
    """The ETA has passed and the goods have not been delivered (served by the partial index)."""
    return Q(status__in=list(PENDING_STATUSES), eta__lt=today)


def shipment_held_q() -> Q:
    return Q(status=ShipmentStatus.HELD, customs_response_due__isnull=False)


def shipments_at_risk_q(today: dt.date) -> Q:
    """Late, held with a customs response due, or planned to ship after the licence ends: the
    three ways a shipment needs attention (docs/architecture.md#alerts; the dashboard card and
    the list's filter)."""
    return shipment_late_q(today) | shipment_held_q() | shipment_after_expiry_q()


def shipments_after_expiry(
    *, shipment_ids: Collection[int] | None = None, licence_ids: Collection[int] | None = None
) -> QuerySet[Shipment]:
    """Pending shipments planned to ship after their licence ends (set-based, for the scan).

    With ``shipment_ids`` or ``licence_ids`` (the scan's incremental check), only those
    shipments and the shipments of those licences: index lookups instead of a join of every
    pending shipment with its licence."""
    qs = Shipment.objects.filter(shipment_after_expiry_q())
    if shipment_ids is not None or licence_ids is not None:
        qs = qs.filter(Q(pk__in=list(shipment_ids or ())) | Q(licence_id__in=list(licence_ids or ())))
    return qs


def shipments_late(today: dt.date) -> QuerySet[Shipment]:
    return Shipment.objects.filter(shipment_late_q(today))


def shipments_held() -> QuerySet[Shipment]:
    return Shipment.objects.filter(shipment_held_q())


def _answers_to_current_hold(status: str) -> QuerySet[CustomsAnswer]:
    """The outer shipment's answers of ``status`` to its current hold (a shipment held again
    later has a new ``held_on``, so an answer to an earlier hold does not count)."""
    return CustomsAnswer.objects.filter(shipment_id=OuterRef("pk"), held_on=OuterRef("held_on"), status=status)


def _hold_answered() -> Exists:
    """Whether the outer shipment's current hold has a recorded answer (procurement's own, or a
    supplier's it confirmed or that applied at once)."""
    return Exists(_answers_to_current_hold(CustomsAnswerStatus.APPLIED))


def _answer_waiting_from() -> Subquery:
    """Who sent the latest answer to the outer shipment's current hold that still waits for
    procurement's confirmation, else None."""
    waiting = _answers_to_current_hold(CustomsAnswerStatus.HELD).order_by("-created_at", "-id")
    return Subquery(waiting.values("answered_by")[:1])


def with_hold_answer(shipments: QuerySet[Shipment]) -> QuerySet[Shipment]:
    """``shipments`` each with ``hold_answered`` and ``answer_waiting_from`` (see above), the
    answer state the risk badge shows for a held shipment: subqueries of the one query, served
    by the answers' shipment index, so a list or the dashboard card costs no query per row."""
    return shipments.annotate(hold_answered=_hold_answered(), answer_waiting_from=_answer_waiting_from())


def shipments_held_unanswered() -> QuerySet[Shipment]:
    """Held shipments whose current hold has no recorded answer (none applied: procurement's
    own, or a supplier's it confirmed), each with ``answer_waiting_from``: who sent the latest
    answer still held for confirmation, else None. Subqueries of the one query, served by the
    answers' shipment index (docs/supplier-portal.md#customs-holds-messages-and-uploads)."""
    return shipments_held().filter(~_hold_answered()).annotate(answer_waiting_from=_answer_waiting_from())


def customs_answers_held() -> QuerySet[CustomsAnswer]:
    """Suppliers' customs answers waiting for procurement's confirmation, oldest first, with
    the shipment, its supplier and the contact (the dashboard's supplier-portal panel; the
    partial index on held answers' ``created_at`` serves the order)."""
    return (
        CustomsAnswer.objects.filter(status=CustomsAnswerStatus.HELD)
        .select_related("shipment__supplier", "contact")
        .order_by("created_at", "id")
    )


def shipment_owner(shipment: Shipment):
    """Who answers for a shipment (it has no owner of its own): the owner of the application
    behind its licence, else of the latest application on its purchase order; None if neither."""
    apps = LicenceApplication.objects.filter(owner__isnull=False, owner__is_active=True)
    if shipment.licence_id is not None:
        app = apps.filter(licences=shipment.licence_id).select_related("owner").first()
        if app is not None:
            return app.owner
    if shipment.purchase_order_id is not None:
        app = apps.filter(purchase_order_id=shipment.purchase_order_id).select_related("owner").order_by("-id").first()
        if app is not None:
            return app.owner
    return None


def licences_expiring_q(today: dt.date, days: int) -> Q:
    """Active licences whose validity ends within ``days`` from ``today``."""
    return Q(status=LicenceStatus.ACTIVE, valid_until__gte=today, valid_until__lte=today + dt.timedelta(days=days))


def licences_expiring(today: dt.date, days: int) -> QuerySet[Licence]:
    """Active licences with balance left whose validity ends within ``days``, soonest first
    (the dashboard's card: an expiring licence with nothing left loses nothing)."""
    return (
        Licence.objects.filter(licences_expiring_q(today, days))
        .filter(licence_has_balance_q())
        .order_by("valid_until", "id")
    )


def _lines_with_balance(queryset: QuerySet[LicenceLine]) -> QuerySet[LicenceLine]:
    """The one rule for "balance left": a line whose balance is above zero."""
    return licence_lines_with_drawdown(queryset).filter(balance__gt=0)


def licences_exhausted_ids(licence_ids) -> set[int]:
    """Which of these licences have no balance left on any line."""
    open_lines = _lines_with_balance(LicenceLine.objects.filter(licence_id__in=licence_ids))
    with_balance = set(open_lines.values_list("licence_id", flat=True))
    return set(licence_ids) - with_balance


def licence_has_balance_q() -> Q:
    """Licences with at least one line that still has balance (one correlated subquery), for
    ``Licence.objects.filter(...)``; the same rule as ``licences_exhausted_ids``."""
    return Q(Exists(_lines_with_balance(LicenceLine.objects.filter(licence=OuterRef("pk")))))


def purchase_orders_at_risk() -> QuerySet[PurchaseOrder]:
    """Open purchase orders flagged at risk by ``shipments.risk.purchase_orders_refresh_risk``
    (a closed or cancelled order is never at risk, whatever its stored flag)."""
    return PurchaseOrder.objects.filter(status=PurchaseOrder.Status.OPEN, at_risk=True)


# Active licence lines whose balance is under a share of the approved quantity, found with ONE
# grouped aggregate over shipment lines joined once (a hash join), instead of two correlated
# subqueries per licence line: the deadline scan asks this of every active licence, and on
# 1,000,000 lines the correlated form took 17 s (docs/benchmarks.md). Quantities are summed in
# base units (t -> kg) as in _to_base; "* 0.001" rather than "/ 1000" because SQLite divides
# integers as integers. A line no shipment draws has its whole balance, so never low (share < 1).
_LOW_BALANCE_SQL = """
    SELECT ll.id
    FROM licensing_licenceline ll
    JOIN licensing_licence l ON l.id = ll.licence_id
    JOIN (
        SELECT s.licence_id, sl.item_id,
               SUM(CASE WHEN sl.unit = 't' THEN sl.quantity * 1000 ELSE sl.quantity END) AS drawn
        FROM shipments_shipmentline sl
        JOIN shipments_shipment s ON s.id = sl.shipment_id
        WHERE s.licence_id IS NOT NULL AND s.status <> 'cancelled'
        GROUP BY s.licence_id, sl.item_id
    ) d ON d.licence_id = ll.licence_id AND d.item_id = ll.item_id
    WHERE l.status = 'active'
      AND ll.approved_quantity - d.drawn * (CASE WHEN ll.unit = 't' THEN 0.001 ELSE 1 END)
          < ll.approved_quantity * %s
"""


def licence_lines_low_balance(
    threshold_share: Decimal, *, licence_ids: Collection[int] | None = None
) -> QuerySet[LicenceLine]:
    """Active licence lines whose balance has fallen under ``threshold_share`` of the approved
    quantity, annotated with their drawdown (computed only for the lines found).

    With ``licence_ids`` (the scan's incremental check: licences whose shipments or own row
    changed), only those licences' lines, through the drawdown subqueries of
    ``licence_lines_with_drawdown`` (index lookups per line, cheap for a few thousand lines);
    without, every active line through the one grouped aggregate above."""
    if licence_ids is None:
        low = LicenceLine.objects.filter(pk__in=RawSQL(_LOW_BALANCE_SQL, [threshold_share]))
        return licence_lines_with_drawdown(low)
    lines = LicenceLine.objects.filter(licence_id__in=list(licence_ids), licence__status=LicenceStatus.ACTIVE)
    return licence_lines_with_drawdown(lines).filter(
        balance__lt=ExpressionWrapper(F("approved_quantity") * Value(threshold_share), output_field=QTY)
    )


@dataclass(frozen=True)
class Changes:
    """Rows written at or after an instant: what the scan's incremental checks look at."""

    licences: frozenset[int]  # licences whose own row changed (validity, status)
    shipments: frozenset[int]  # shipments changed (status, licence, dates, lines)
    shipment_licences: frozenset[int]  # the licences those shipments draw on

    def __bool__(self) -> bool:
        return bool(self.licences or self.shipments)


def licences_and_shipments_changed_since(since: dt.datetime, *, limit: int) -> Changes | None:
    """Licences and shipments written at or after ``since``, found through their indexed
    ``updated_at`` in one query; None when more than ``limit`` changed (a full check is then
    the cheaper plan). Every writer stamps ``updated_at``: ``save()`` does, the bulk upsert and
    ``licences_set_status`` set it, and a shipment's lines are only written with the shipment."""
    licences = Licence.objects.filter(updated_at__gte=since).order_by().values_list(Value("l"), "pk", "pk")
    shipments = Shipment.objects.filter(updated_at__gte=since).order_by().values_list(Value("s"), "pk", "licence_id")
    rows = list(licences.union(shipments, all=True)[: limit + 1])
    if len(rows) > limit:
        return None
    return Changes(
        licences=frozenset(pk for kind, pk, _ in rows if kind == "l"),
        shipments=frozenset(pk for kind, pk, _ in rows if kind == "s"),
        shipment_licences=frozenset(lic for kind, _, lic in rows if kind == "s" and lic is not None),
    )

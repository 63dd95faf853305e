"""Purchase orders at risk (docs/analytics.md) and the supplier scorecard.

*Typical decision-to-arrival time* of a supplier: the median (``percentile_cont``) of the
calendar days from a licence decision to the arrival of the goods, over that supplier's
arrived shipments. The decision is the one of the application behind the shipment's licence;
for a shipment without a licence, the latest approval among the applications of its purchase
order. Shipments that arrived before the decision (bad data, or goods not needing the
licence) are left out. A supplier with no such shipment gets
``settings.DEFAULT_DECISION_TO_ARRIVAL_DAYS``. Half days round up.

*Late*: an open purchase order whose needed-by date has passed while goods are still to
arrive (no shipment, or a shipment not yet delivered). An order whose shipments have all
arrived is received: neither late nor at risk.

*At risk*: needed-by still ahead and the expected arrival falls after it, or a pending
shipment is planned to ship after its licence runs out. The expected arrival is the latest
ETA of its pending shipments when it has any (so the order agrees with its shipments);
otherwise the decision date + the supplier's typical time:

- the order's live applications (not rejected or withdrawn) decide it: an approved one by
  its actual decision date, an open one by its stored ``predicted_decision_p50``; the latest
  of them counts (all are needed to ship the whole order). If an open one has no prediction
  (too little history), the expected arrival is unknown and the order is not flagged;
- an order with no live application but with lines of items that need a licence is treated
  as if an application were filed today for its supplier and its lines' elements (the same
  predictor as a draft application), because that is the earliest it could be;
- an order none of whose items needs a licence has no licence risk: not flagged, no date.

``expected_arrival``, ``risk`` and ``risk_reason`` (the cause in words, with the date it
rests on) are stored with ``at_risk`` (true when late or at risk) so lists and the
``po_at_risk`` alert can show why. Run ``predictions_refresh`` first: this reads the stored predictions.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from licensing import clock
from licensing.analytics import DaysBetween, PercentileCont, delay_stats
from licensing.models import ApplicationStatus, LicenceApplication
from licensing.predictions import Predictor
from licensing.selectors import items_by_code
from suppliers.models import PurchaseOrder

from .models import Shipment, ShipmentStatus

S = ApplicationStatus
DEAD = (S.REJECTED, S.WITHDRAWN)


@dataclass(frozen=True)
class ArrivalTime:
    days: int
    sample_size: int  # 0: the default from settings

    @property
    def from_history(self) -> bool:
        return self.sample_size > 0


def _arrivals() -> QuerySet[Shipment]:
    """Arrived shipments annotated with ``decision_on`` and ``arrival_days`` (>= 0)."""
    po_approval = (
        LicenceApplication.objects.filter(purchase_order=OuterRef("purchase_order"), status=S.APPROVED)
        .order_by()
        .values("purchase_order")
        .annotate(last=Max("decided_on"))
        .values("last")
    )
    return (
        Shipment.objects.filter(arrived_on__isnull=False)
        .exclude(status=ShipmentStatus.CANCELLED)
        .annotate(decision_on=Coalesce(F("licence__application__decided_on"), Subquery(po_approval)))
        .filter(decision_on__isnull=False)
        .annotate(arrival_days=DaysBetween("decision_on", "arrived_on"))
        .filter(arrival_days__gte=0)
        .order_by()
    )


def decision_to_arrival_times(supplier_ids: list[int] | None = None) -> dict[int, ArrivalTime]:
    """The typical decision-to-arrival time per supplier with history (one query).

    Suppliers missing from the answer have no history: use ``default_arrival_time()``.
    """
    qs = _arrivals()
    if supplier_ids is not None:
        qs = qs.filter(supplier_id__in=supplier_ids)
    rows = qs.values("supplier_id").annotate(median=PercentileCont("arrival_days", 0.5), n=Count("pk"))
    return {r["supplier_id"]: ArrivalTime(math.ceil(round(r["median"], 6)), r["n"]) for r in rows}


def default_arrival_time() -> ArrivalTime:
    return ArrivalTime(settings.DEFAULT_DECISION_TO_ARRIVAL_DAYS, 0)


def _fmt(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


@dataclass(frozen=True)
class Risk:
    """What the rule concludes for one order: the state, the expected arrival, the cause."""

    state: str = ""  # "", "late" or "at_risk"
    expected: dt.date | None = None
    reason: str = ""


def _pending_shipments(po: PurchaseOrder) -> tuple[list[Shipment], list[Shipment]]:
    live = [s for s in po.shipments.all() if s.status != ShipmentStatus.CANCELLED]
    return live, [s for s in live if s.arrived_on is None and s.status != ShipmentStatus.DELIVERED]


def _licence_cause(pending: list[Shipment]) -> str:
    for ship in pending:
        lic = ship.licence
        if lic is not None and ship.planned_ship_date and lic.valid_until < ship.planned_ship_date:
            return (f"licence {lic.number} runs out on {_fmt(lic.valid_until)}, before shipment {ship.reference} "
                    f"ships on {_fmt(ship.planned_ship_date)}")
    return ""


def _decision_cause(po: PurchaseOrder, predictor: Predictor, catalogue: dict, transit: int,
                    statutory: dt.date) -> tuple[dt.date | None, str]:
    """Expected arrival from the licence decision plus the supplier's usual time, and why."""
    live = [a for a in po.applications.all() if a.status not in DEAD]
    if live:
        waiting = [a for a in live if a.status != S.APPROVED]
        if any(a.predicted_decision_p50 is None for a in waiting):
            return None, ""
        if waiting:
            app = max(waiting, key=lambda a: a.predicted_decision_p50)
            expected = app.predicted_decision_p50 + dt.timedelta(days=transit)
            return expected, (f"MOFCOM's decision on {app.reference} is predicted after "
                              f"{_fmt(app.predicted_decision_p50)}, then about {transit} days to arrival")
        app = max(live, key=lambda a: a.decided_on)
        expected = app.decided_on + dt.timedelta(days=transit)
        return expected, (f"licence approved on {_fmt(app.decided_on)} and no shipment booked: about {transit} "
                          f"days from decision to arrival gives {_fmt(expected)}")
    items = [catalogue.get(line.item_code) for line in po.lines.all()]
    controlled = [item for item in items if item is not None and item.licensing_required]
    if not controlled:
        return None, ""
    elements = {e for item in controlled for e in item.element_list}
    p50, _, _ = predictor.dates(
        supplier_id=po.supplier_id, elements=elements, accepted_on=predictor.assumed_acceptance(None)
    )
    if p50 is None:
        # Too little history to predict: the statutory time limit from today is the earliest
        # a decision could be expected.
        expected = statutory + dt.timedelta(days=transit)
        return expected, (f"no application yet: filed today, MOFCOM's statutory decision date would be "
                          f"{_fmt(statutory)}, then about {transit} days to arrival")
    expected = p50 + dt.timedelta(days=transit)
    return expected, (f"no application yet: filed today, MOFCOM's decision is predicted after {_fmt(p50)}, "
                      f"then about {transit} days to arrival")


def purchase_order_risk(po: PurchaseOrder, *, today: dt.date, predictor: Predictor, catalogue: dict,
                        transit: int, statutory: dt.date) -> Risk:
    """Late, at risk or fine, and why (the rule in the module docstring).

    Goods on the way decide the expected arrival (the latest pending ETA); without shipments
    the licence decision (actual or predicted) plus the supplier's usual time to arrival does.
    """
    live, pending = _pending_shipments(po)
    if live and not pending:
        arrived = max((s.arrived_on for s in live if s.arrived_on), default=None)
        return Risk(expected=arrived)  # received: neither late nor at risk
    licence = _licence_cause(pending)
    with_eta = [s for s in pending if s.eta]
    if with_eta:
        last = max(with_eta, key=lambda s: s.eta)
        expected = last.eta
        cause = f"shipment {last.reference} is due on {_fmt(last.eta)}"
    elif pending:
        expected, cause = None, f"shipment {pending[0].reference} has no ETA"
    else:
        expected, cause = _decision_cause(po, predictor, catalogue, transit, statutory)
    if licence:
        cause = licence
    if po.needed_by is None:
        return Risk(expected=expected)
    if po.needed_by < today:
        return Risk("late", expected, f"Needed by {_fmt(po.needed_by)} and not arrived" + (f": {cause}." if cause
                                                                                         else "."))
    if licence:
        return Risk("at_risk", expected, f"Needed by {_fmt(po.needed_by)}, but the {cause}.")
    if expected and expected > po.needed_by:
        return Risk("at_risk", expected, f"Needed by {_fmt(po.needed_by)}, expected {_fmt(expected)}: {cause}.")
    return Risk(expected=expected)


def purchase_orders_refresh_risk(*, today: dt.date | None = None) -> int:
    """Set ``risk``, ``risk_reason``, ``at_risk`` (late or at risk) and ``expected_arrival``
    on every open purchase order (rule above), and clear them on every other one (a closed or
    cancelled order is not waiting for a licence).

    Set-based: the predictor's history, the arrival times and the open orders with their
    lines, applications and shipments are loaded in a constant number of queries and the
    changes written with one ``bulk_update`` per 500 rows in one transaction. Returns how
    many orders changed.
    """
    today = today or clock.today()
    predictor = Predictor.load(today=today)
    catalogue = items_by_code()
    times = decision_to_arrival_times()
    default = default_arrival_time()
    # An application filed today: the earliest statutory decision, for orders without one.
    statutory = clock.calendar().add_working_days(today, clock.review_period("single"))
    orders = (
        PurchaseOrder.objects.filter(status=PurchaseOrder.Status.OPEN)
        .order_by()
        .prefetch_related(
            "lines",
            Prefetch(
                "applications",
                queryset=LicenceApplication.objects.order_by().only(
                    "pk", "reference", "purchase_order_id", "status", "decided_on", "predicted_decision_p50"
                ),
            ),
            Prefetch("shipments", queryset=Shipment.objects.order_by("id").select_related("licence")),
        )
    )
    changed = []
    for po in orders:
        risk = purchase_order_risk(po, today=today, predictor=predictor, catalogue=catalogue,
                                   transit=times.get(po.supplier_id, default).days, statutory=statutory)
        new = (bool(risk.state), risk.expected, risk.state, risk.reason[:300])
        if (po.at_risk, po.expected_arrival, po.risk, po.risk_reason) != new:
            po.at_risk, po.expected_arrival, po.risk, po.risk_reason = new
            changed.append(po)
    with transaction.atomic():
        PurchaseOrder.objects.bulk_update(
            changed, ["at_risk", "expected_arrival", "risk", "risk_reason"], batch_size=500
        )
        # One UPDATE for the orders no longer open (closed in bulk, by import, before this rule).
        cleared = (
            PurchaseOrder.objects.exclude(status=PurchaseOrder.Status.OPEN)
            .filter(Q(at_risk=True) | Q(expected_arrival__isnull=False) | ~Q(risk=""))
            .update(at_risk=False, expected_arrival=None, risk="", risk_reason="")
        )
    return len(changed) + cleared


def _empty_card() -> dict[str, Any]:
    return {
        "decided": 0, "median_working_days": None, "median_calendar_days": None, "approval_rate": None,
        "within_statutory_share": None, "shipments_arrived": 0, "on_time_share": None,
        # Without history the at-risk rule uses the default; the sample of 0 says so.
        "decision_to_arrival_days": default_arrival_time().days, "decision_to_arrival_sample": 0,
    }


def supplier_scorecards(supplier_ids: list[int] | None = None) -> dict[int, dict[str, Any]]:
    """Median delay, approval rate, on-time shipments and decision-to-arrival per supplier.

    Three queries whatever the number of suppliers. On time = arrived on or before the ETA
    recorded on the shipment (the ETA as it stands: its earlier values are in its history).
    Suppliers with neither decisions nor shipments are absent: ``supplier_scorecard`` gives
    them an empty card.
    """
    apps = LicenceApplication.objects.all()
    ships = Shipment.objects.filter(arrived_on__isnull=False, eta__isnull=False).exclude(
        status=ShipmentStatus.CANCELLED
    )
    if supplier_ids is not None:
        apps = apps.filter(supplier_id__in=supplier_ids)
        ships = ships.filter(supplier_id__in=supplier_ids)
    cards: dict[int, dict[str, Any]] = {}

    def card(supplier_id: int) -> dict[str, Any]:
        return cards.setdefault(supplier_id, _empty_card())

    for row in delay_stats(apps, group_by="supplier"):
        card(row["key"]).update(
            decided=row["count"], median_working_days=row["working_days_median"],
            median_calendar_days=row["calendar_days_median"], approval_rate=row["approval_rate"],
            within_statutory_share=row["within_statutory_share"],
        )
    on_time = ships.order_by().values("supplier_id").annotate(
        n=Count("pk"), on_time=Count("pk", filter=Q(arrived_on__lte=F("eta")))
    )
    for row in on_time:
        card(row["supplier_id"]).update(shipments_arrived=row["n"], on_time_share=row["on_time"] / row["n"])
    for supplier_id, time in decision_to_arrival_times(supplier_ids).items():
        card(supplier_id).update(decision_to_arrival_days=time.days, decision_to_arrival_sample=time.sample_size)
    return cards


def supplier_scorecard(supplier_id: int) -> dict[str, Any]:
    """One supplier's scorecard (the same figures as ``supplier_scorecards``), empty if new."""
    return supplier_scorecards([supplier_id]).get(supplier_id) or _empty_card()

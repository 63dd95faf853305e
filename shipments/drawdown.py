"""The drawdown rules, once: pure functions over plain values (no queries), used by the
single-shipment service (``services.shipment_save``) and by the bulk path (``bulk``), so both
refuse the same shipments with the same messages.

- ``drawdown_refusals``: lines that are not on the licence, are counted in the wrong kind of
  unit, or ask for more than the licence line has left.
- ``licence_refusals``: a licence of another supplier; a licence that is revoked or has expired
  (unless the shipment already shipped while it was valid).
- ``licence_warnings``: a shipment planned to ship after its still-valid licence ends is
  accepted with a warning.

Refusals with a code in ``FORCEABLE`` may be forced by a compliance user with a note (see
``services.shipment_save``); the others may not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from decimal import Decimal

from licensing.models import LicenceStatus

from .selectors import TO_BASE

FORCEABLE = frozenset({"overdraw", "licence_expired", "revoked"})
CONFLICTS = frozenset({"overdraw", "not_on_licence", "licence_expired", "revoked"})


@dataclass(frozen=True)
class Refusal:
    field: str  # relative to the shipment: "licence", "lines[0].quantity"
    message: str
    code: str

    @property
    def conflict(self) -> bool:
        """A well-formed request that conflicts with the licence's state (409, not 400)."""
        return self.code in CONFLICTS


@dataclass(frozen=True)
class LineBalance:
    """One licence line as the rules see it: its unit and what is left on it."""

    unit: str
    balance: Decimal


@dataclass(frozen=True)
class Requested:
    item_id: int
    item_code: str
    quantity: Decimal
    unit: str


def drawdown_refusals(
    *,
    licence_number: str,
    lines: MutableMapping[int, LineBalance],
    requested: Iterable[Requested],
) -> list[Refusal]:
    """Check ``requested`` (a shipment's lines) against the licence ``lines`` (by item id), then
    take what was asked from the balances in ``lines``, so that a caller checking several
    shipments in order (bulk) counts each against what the earlier ones left."""
    refusals: list[Refusal] = []
    asked: dict[int, Decimal] = {}
    for j, req in enumerate(requested):
        line = lines.get(req.item_id)
        if line is None:
            refusals.append(Refusal(
                f"lines[{j}].item", f"Licence {licence_number} has no line for item {req.item_code}.", "not_on_licence"
            ))
            continue
        if (req.unit == "pcs") != (line.unit == "pcs"):
            refusals.append(Refusal(
                f"lines[{j}].unit", f"Licence {licence_number} counts {req.item_code} in {line.unit}, not {req.unit}.",
                "unit_mismatch",
            ))
            continue
        total = asked.get(req.item_id, Decimal(0)) + Decimal(req.quantity) * TO_BASE[req.unit] / TO_BASE[line.unit]
        asked[req.item_id] = total
        if total > line.balance:
            refusals.append(Refusal(
                f"lines[{j}].quantity",
                f"Licence {licence_number} has {max(line.balance, Decimal(0)).normalize():f} {line.unit} of "
                f"{req.item_code} left; this shipment asks for {total.normalize():f} {line.unit}.",
                "overdraw",
            ))
    for item_id, total in asked.items():
        lines[item_id] = LineBalance(lines[item_id].unit, lines[item_id].balance - total)
    return refusals


def licence_refusals(
    *,
    licence_number: str,
    licence_supplier_id: int,
    status: str,
    valid_until: dt.date,
    supplier_id: int | None,
    actual_ship_date: dt.date | None,
    today: dt.date,
) -> list[Refusal]:
    """Whether a shipment may draw this licence at all."""
    if licence_supplier_id != supplier_id:
        return [Refusal("licence", f"Licence {licence_number} belongs to another supplier.", "wrong_supplier")]
    if status == LicenceStatus.REVOKED:
        return [Refusal("licence", f"Licence {licence_number} is revoked.", "revoked")]
    shipped_in_time = actual_ship_date is not None and actual_ship_date <= valid_until
    if (status == LicenceStatus.EXPIRED or valid_until < today) and not shipped_in_time:
        return [Refusal("licence", f"Licence {licence_number} expired on {valid_until}.", "licence_expired")]
    return []


def licence_warnings(
    *, licence_number: str, valid_until: dt.date, planned_ship_date: dt.date | None, actual_ship_date: dt.date | None
) -> list[str]:
    """A shipment planned to leave after its licence ends: saved, and the caller is told."""
    if actual_ship_date is None and planned_ship_date is not None and planned_ship_date > valid_until:
        return [
            f"The shipment is planned to ship on {planned_ship_date}, after licence {licence_number} ends "
            f"({valid_until}): ship earlier or assign another licence."
        ]
    return []


def shipment_warnings(shipment) -> list[str]:
    """What a shipment is accepted with a warning for: ``licence_warnings`` of its licence."""
    lic = shipment.licence
    if lic is None or shipment.status == "cancelled":
        return []
    return licence_warnings(
        licence_number=lic.number, valid_until=lic.valid_until, planned_ship_date=shipment.planned_ship_date,
        actual_ship_date=shipment.actual_ship_date,
    )

"""Parse and group import rows into records for the purchase-order and shipment services (docs/architecture.md#ui).

One row per line; rows sharing a key (purchase order number; shipment external_ref, else
reference) form one record. Each builder returns the (rows, call) groups that
``core.spreadsheets.run_import`` runs in one transaction, the preview records, and the row errors
found while parsing cells (a record with a bad cell never reaches the service).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from core.parsing import ParseError, parse_choice, parse_date, parse_decimal
from core.spreadsheets import Row, RowError
from licensing.models import ControlledItem, Licence, TransportMode, Unit
from suppliers.models import PurchaseOrder, Supplier

from . import services
from .models import Shipment, ShipmentStatus


class Lookups:
    """Every referenced supplier, item, licence and order read once for the whole file."""

    def __init__(self, rows: list[Row]) -> None:
        self.suppliers: dict[str, Supplier] = {}
        for s in Supplier.objects.all():
            self.suppliers[s.name.strip().lower()] = s
            if s.external_ref:
                self.suppliers[s.external_ref.strip().lower()] = s
        self.items = {i.code.lower(): i for i in ControlledItem.objects.all()}
        numbers = {r.get("licence") for r in rows} - {""}
        self.licences = {x.number: x for x in Licence.objects.filter(number__in=numbers)}
        po_numbers = {r.get("purchase_order") for r in rows} | {r.get("number") for r in rows}
        self.orders = {p.number: p for p in PurchaseOrder.objects.filter(number__in=po_numbers - {""})}


SHIPMENT_DATES = (
    ("planned_ship_date", "ships"), ("eta", "ETA"), ("actual_ship_date", "shipped"), ("arrived_on", "arrived"),
    ("held_on", "held"),
)
ORDER_DATES = (("order_date", "ordered"), ("needed_by", "needed by"))


# Optional columns a file may leave out. A column the file does not have leaves the stored value
# alone, so an older file or another system's export cannot wipe what was entered (a delivered
# shipment put back to planned, its ETA or purchase order cleared); a blank cell clears the value.
# The ERP key is the exception: a blank never clears it, since it is the ERP's to change (over the
# API) and a row without one is matched on its reference instead.
SHIPMENT_KEPT = (
    "purchase_order", "status", "transport_mode", "planned_ship_date", "eta", "actual_ship_date", "arrived_on",
    "held_on",
)
ORDER_KEPT = ("needed_by", "status")


def _keep_what_the_file_does_not_give(row: Row, fields: dict, optional: tuple[str, ...]) -> None:
    for name in optional:
        if name not in row.values:
            del fields[name]
    if not fields.get("external_ref"):
        fields.pop("external_ref", None)


def _dates(fields: dict, names: tuple[tuple[str, str], ...]) -> list[tuple[str, dt.date]]:
    """The record's dates that the file gives, labelled, in the order of the columns."""
    return [(label, fields[name]) for name, label in names if fields.get(name) is not None]


class Parser:
    """Turns text cells into values, recording a RowError (row, column, message) per bad cell."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []

    def fail(self, row: Row, column: str, message: str) -> None:
        self.errors.append(RowError(row.number, column, message))

    def required(self, row: Row, column: str) -> str:
        value = row.get(column)
        if not value:
            self.fail(row, column, "This value is required.")
        return value

    def parse(self, row: Row, column: str, parse: Callable[[str], Any]) -> Any:
        """``parse`` (a ``core.parsing`` parser) on the cell; a ParseError is the cell's error."""
        try:
            return parse(row.get(column))
        except ParseError as exc:
            self.fail(row, column, str(exc))
            return None

    def date(self, row: Row, column: str) -> dt.date | None:
        return self.parse(row, column, parse_date)

    def decimal(
        self, row: Row, column: str, *, required: bool = False, positive: bool = True, places: int = 3
    ) -> Decimal | None:
        if required and not row.get(column):
            self.fail(row, column, "This value is required.")
            return None
        return self.parse(
            row, column,
            lambda v: parse_decimal(v, max_digits=18, places=places, positive=positive, decimal_comma=True),
        )

    def choice(self, row: Row, column: str, choices, default: str = "") -> str:
        # Spreadsheets say "In transit" where the API says "in_transit".
        value = row.get(column).strip().lower().replace(" ", "_") or default
        return self.parse(row, column, lambda _: parse_choice(value, choices.values, blank=True)) or value

    def lookup(self, row: Row, column: str, table: dict, label: str, *, required: bool = False, lower: bool = True):
        value = row.get(column)
        if not value:
            if required:
                self.fail(row, column, "This value is required.")
            return None
        found = table.get(value.strip().lower() if lower else value.strip())
        if found is None:
            self.fail(row, column, f"No {label} “{value}”.")
        return found


def _group(rows: list[Row], key: Callable[[Row], str]) -> list[list[Row]]:
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(key(row) or f"#row{row.number}", []).append(row)
    return list(groups.values())


def _lines(p: Parser, rows: list[Row], look: Lookups, extra: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    lines = []
    for row in rows:
        line = {
            "item": p.lookup(row, "item", look.items, "controlled item with code", required=True),
            "quantity": p.decimal(row, "quantity", required=True),
            "unit": p.choice(row, "unit", Unit, default="kg"),
        }
        if "unit_price" in extra:
            price = row.get("unit_price")
            line["unit_price"] = p.decimal(row, "unit_price", positive=False, places=4) if price else None
            line["currency"] = row.get("currency") or "USD"  # checked by the model, never rewritten
        lines.append(line)
    return lines


# --- Shipments -----------------------------------------------------------------------------------

SHIPMENT_COLUMNS = [
    ("reference", True, "Bill of lading or supplier reference; rows with the same reference form one shipment "
     "(without external_ref, the supplier's shipment with this reference is updated when it exists)."),
    ("supplier", True, "Supplier name or ERP reference."),
    ("item", True, "Controlled item code."),
    ("quantity", True, "Quantity of this line."),
    ("unit", False, "kg (default), t or pcs."),
    ("external_ref", False, "Your ERP's key: updates the shipment with this key when it exists; a blank cell "
     "keeps the key a shipment has."),
    ("purchase_order", False, "Purchase order number."),
    ("licence", False, "Licence number to draw down."),
    ("status", False, "planned (default), booked, in_transit, at_customs, held, delivered, cancelled."),
    ("transport_mode", False, "sea, air, rail or road."),
    ("planned_ship_date", False, "YYYY-MM-DD."),
    ("eta", False, "YYYY-MM-DD."),
    ("actual_ship_date", False, "YYYY-MM-DD."),
    ("arrived_on", False, "YYYY-MM-DD."),
    ("held_on", False, "YYYY-MM-DD; required when the status is held."),
    ("customs_question", False, "What customs asked when it held the goods (the supplier sees it on the portal)."),
]


def shipment_groups(rows: list[Row], actor) -> tuple[list, list[dict], list[RowError]]:
    look = Lookups(rows)
    p = Parser()
    groups, records = [], []
    existing = {
        s.external_ref: s
        for s in Shipment.objects.filter(external_ref__in={r.get("external_ref") for r in rows} - {""})
    }
    # Without an external_ref a re-imported file must update, not duplicate: match on the supplier's
    # reference (the oldest shipment when the data already holds several).
    by_reference: dict[tuple[int, str], Shipment] = {}
    for s in Shipment.objects.filter(reference__in={r.get("reference") for r in rows} - {""}).order_by("-pk"):
        by_reference[(s.supplier_id, s.reference)] = s
    for group in _group(rows, lambda r: r.get("external_ref") or r.get("reference")):
        first = group[0]
        before = len(p.errors)
        fields = {
            "reference": p.required(first, "reference"),
            "supplier": p.lookup(first, "supplier", look.suppliers, "supplier", required=True),
            "purchase_order": p.lookup(first, "purchase_order", look.orders, "purchase order", lower=False),
            "status": p.choice(first, "status", ShipmentStatus, default="planned"),
            "transport_mode": p.choice(first, "transport_mode", TransportMode),
            "planned_ship_date": p.date(first, "planned_ship_date"),
            "eta": p.date(first, "eta"),
            "actual_ship_date": p.date(first, "actual_ship_date"),
            "arrived_on": p.date(first, "arrived_on"),
            "held_on": p.date(first, "held_on"),
            "external_ref": first.get("external_ref"),
        }
        if "customs_question" in first.values:
            fields["customs_question"] = first.get("customs_question")
        _keep_what_the_file_does_not_give(first, fields, SHIPMENT_KEPT)
        licence = p.lookup(first, "licence", look.licences, "licence", lower=False) if first.get("licence") else None
        lines = _lines(p, group, look)
        if fields.get("external_ref"):
            shipment = existing.get(fields["external_ref"])
        elif fields["supplier"] is not None:
            shipment = by_reference.get((fields["supplier"].pk, fields["reference"]))
        else:
            shipment = None
        records.append(
            {
                "row": first.number,
                "key": fields["reference"],
                "action": "update" if shipment else "create",
                "supplier": fields["supplier"],
                "licence": licence,
                "status": fields.get("status", shipment.status if shipment else ShipmentStatus.PLANNED),
                # The dates as read, shown in the preview so that the user sees what will be written.
                "dates": _dates(fields, SHIPMENT_DATES),
                "lines": lines,
            }
        )
        if len(p.errors) > before:
            continue  # bad cells: the service is not called for this record

        def call(shipment=shipment, fields=fields, lines=lines, licence=licence):
            services.shipment_save(
                shipment=shipment,
                lines=lines,
                licence=licence or False,  # False: keep, or suggest
                actor=actor,
                **fields,
            )

        groups.append((group, call))
    return groups, records, p.errors


# --- Purchase orders -------------------------------------------------------------------------------

PO_COLUMNS = [
    ("number", True, "Purchase order number; rows with the same number form one order (updated when it exists)."),
    ("supplier", True, "Supplier name or ERP reference."),
    ("order_date", True, "YYYY-MM-DD."),
    ("item", True, "Controlled item code."),
    ("quantity", True, "Quantity of this line."),
    ("unit", False, "kg (default), t or pcs."),
    ("unit_price", False, "Price per unit."),
    ("currency", False, "ISO code, default USD."),
    ("needed_by", False, "YYYY-MM-DD: when the goods must arrive."),
    ("status", False, "open (default), closed or cancelled."),
    ("external_ref", False, "Your ERP's key."),
]


def purchase_order_groups(rows: list[Row], actor) -> tuple[list, list[dict], list[RowError]]:
    look = Lookups(rows)
    p = Parser()
    groups, records = [], []
    for group in _group(rows, lambda r: r.get("number")):
        first = group[0]
        before = len(p.errors)
        fields = {
            "number": p.required(first, "number"),
            "supplier": p.lookup(first, "supplier", look.suppliers, "supplier", required=True),
            "order_date": p.date(first, "order_date"),
            "needed_by": p.date(first, "needed_by"),
            "status": p.choice(first, "status", PurchaseOrder.Status, default="open"),
            "external_ref": first.get("external_ref"),
        }
        if fields["order_date"] is None and not first.get("order_date"):
            p.fail(first, "order_date", "This value is required.")
        _keep_what_the_file_does_not_give(first, fields, ORDER_KEPT)
        lines = _lines(p, group, look, extra=("unit_price",))
        po = look.orders.get(fields["number"])
        records.append(
            {
                "row": first.number,
                "key": fields["number"],
                "action": "update" if po else "create",
                "supplier": fields["supplier"],
                "status": fields.get("status", po.status if po else PurchaseOrder.Status.OPEN),
                "dates": _dates(fields, ORDER_DATES),
                "lines": lines,
            }
        )
        if len(p.errors) > before:
            continue

        def call(po=po, fields=fields, lines=lines):
            services.purchase_order_save(purchase_order=po, lines=lines, actor=actor, **fields)

        groups.append((group, call))
    return groups, records, p.errors

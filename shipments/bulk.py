"""Bulk upserts of shipments and purchase orders by ``external_ref`` (docs/architecture.md#api, docs/benchmarks.md).

Up to ``API_BULK_MAX_ROWS`` rows (10,000) in one transaction, all or nothing. Set-based: the
rows are validated in Python, references (suppliers, orders, licences, item codes, existing
rows) are resolved with one query each, and the writes are ``bulk_create`` / ``bulk_update``
in batches, so the query count does not grow with the rows (bar one statement per batch).
The per-row service calls would cost some 30 queries a shipment; this path costs about 20
for the whole call.

Errors name the row and field as ``[3].lines[0].quantity``; every bad row is reported, not
just the first. Over-draws are refused like ``shipments.services.shipment_save`` refuses
them (same message), with the licence lines locked while their balances are checked; bulk
calls cannot force an over-draw (that needs a compliance officer's note, one shipment at a
time). A row's omitted fields keep their current value (or the default for a new row); a
row's ``lines``, when given, replace the current lines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.errors import ConflictError, DomainError
from licensing import clock
from licensing.models import ControlledItem, Licence, LicenceLine, LicenceStatus, TransportMode, Unit
from suppliers.models import PurchaseOrder, PurchaseOrderLine, Supplier

from . import bulk_writes as writes
from .models import Shipment, ShipmentLine, ShipmentStatus
from .selectors import TO_BASE, licence_lines_with_drawdown
from .services import customs_response_due, licences_refresh_status

MAX_ID = 2**63 - 1
MAX_ERRORS = 1000  # enough to fix a file; a 10,000-row payload of bad rows stays readable
REASON = "bulk upsert"  # the change reason on every history row a bulk call writes


# --- Parsing one value --------------------------------------------------------------------------


class Bad(ValueError):
    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


def text(max_length: int, *, blank: bool = True) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise Bad("Give a string.")
        if "\x00" in value:
            raise Bad("Null characters are not allowed.")
        if len(value) > max_length:
            raise Bad(f"Give at most {max_length} characters.", "max_length")
        if not blank and not value.strip():
            raise Bad("This field may not be blank.", "blank")
        return value

    return parse


def date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 10:
        raise Bad("Give the date as YYYY-MM-DD.", "invalid_date")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Bad("Give the date as YYYY-MM-DD.", "invalid_date") from None


def required_date(value: Any) -> dt.date:
    if value is None:
        raise Bad("This field may not be null.", "null")
    return date(value)


def choice(values: Sequence[str], *, blank: bool = False) -> Callable[[Any], str]:
    allowed = set(values) | ({""} if blank else set())

    def parse(value: Any) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise Bad(f"'{value}' is not one of: {', '.join(values)}.", "invalid_choice")
        return value

    return parse


def ident(*, null: bool = False) -> Callable[[Any], int | None]:
    def parse(value: Any) -> int | None:
        if value is None and null:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
            raise Bad("Give the id as a positive whole number.", "incorrect_type")
        return value

    return parse


def decimal(max_digits: int, places: int, *, positive: bool = True, null: bool = False):
    def parse(value: Any) -> Decimal | None:
        if value is None and null:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise Bad('Give a decimal number, e.g. "12.5".')
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise Bad('Give a decimal number, e.g. "12.5".') from None
        if not number.is_finite():
            raise Bad('Give a decimal number, e.g. "12.5".')
        if (positive and number <= 0) or number < 0:
            raise Bad("Give a number above zero." if positive else "Give a number of zero or more.", "min_value")
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -places:
            raise Bad(f"Give at most {places} decimal places.", "max_decimal_places")
        if len(number.quantize(Decimal(1).scaleb(-places)).as_tuple().digits) > max_digits:
            raise Bad(f"Give at most {max_digits} digits in total.", "max_digits")
        return number

    return parse


def _currency(value: Any) -> str:
    if (
        not isinstance(value, str)
        or len(value) != 3
        or not value.isascii()
        or not value.isupper()
        or not value.isalpha()
    ):
        raise Bad("Give a three-letter currency code, e.g. USD.")
    return value


# --- Row validation -----------------------------------------------------------------------------


@dataclass
class Errors:
    items: dict[str, list[ValidationError]] = field(default_factory=dict)
    conflicts_only: bool = True

    def add(self, attr: str, message: str, code: str = "invalid", *, conflict: bool = False) -> None:
        if len(self.items) >= MAX_ERRORS:
            return
        self.items.setdefault(attr, []).append(ValidationError(message, code=code))
        self.conflicts_only &= conflict

    def raise_if_any(self) -> None:
        if self.items:
            raise (ConflictError if self.conflicts_only else DomainError)(self.items)


@dataclass
class Row:
    index: int
    values: dict[str, Any]
    lines: list[dict[str, Any]] | None
    existing: Any = None


def parse_rows(rows: Any, fields: dict[str, Callable], line_fields: dict[str, Callable], errors: Errors) -> list[Row]:
    """Shape and value checks of every row; references are resolved later, in bulk."""
    if not isinstance(rows, list):
        errors.add("", "Send a JSON array of objects.", "not_a_list")
        errors.raise_if_any()
    limit = settings.API_BULK_MAX_ROWS
    if not rows or len(rows) > limit:
        errors.add("", f"Send 1 to {limit} rows (got {len(rows)}).", "row_count")
        errors.raise_if_any()
    parsed: list[Row] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(rows):
        if not isinstance(raw, dict):
            errors.add(f"[{i}]", "Each row is a JSON object.", "not_an_object")
            continue
        values: dict[str, Any] = {}
        for name in raw.keys() - fields.keys() - {"lines"}:
            errors.add(f"[{i}].{name}", "This field is not accepted in bulk.", "unknown_field")
        for name, parse in fields.items():
            if name in raw:
                try:
                    values[name] = parse(raw[name])
                except Bad as exc:
                    errors.add(f"[{i}].{name}", str(exc), exc.code)
        ref = values.get("external_ref")
        if not ref:
            errors.add(f"[{i}].external_ref", "Every row needs its external_ref (the upsert key).", "required")
        elif ref in seen:
            errors.add(f"[{i}].external_ref", f"Row {seen[ref]} has the same external_ref.", "duplicate")
        else:
            seen[ref] = i
        parsed.append(Row(i, values, _parse_lines(i, raw, line_fields, errors)))
    return parsed


def _parse_lines(i: int, raw: dict, line_fields: dict[str, Callable], errors: Errors) -> list[dict] | None:
    if "lines" not in raw:
        return None
    if not isinstance(raw["lines"], list) or not raw["lines"]:
        errors.add(f"[{i}].lines", "Give a non-empty list of lines.", "required")
        return None
    lines = []
    for j, line in enumerate(raw["lines"]):
        if not isinstance(line, dict):
            errors.add(f"[{i}].lines[{j}]", "Each line is a JSON object.", "not_an_object")
            continue
        values = {}
        for name in line.keys() - line_fields.keys():
            errors.add(f"[{i}].lines[{j}].{name}", "This field is not accepted.", "unknown_field")
        for name, parse in line_fields.items():
            if name in line:
                try:
                    values[name] = parse(line[name])
                except Bad as exc:
                    errors.add(f"[{i}].lines[{j}].{name}", str(exc), exc.code)
            elif name in ("item", "quantity"):
                errors.add(f"[{i}].lines[{j}].{name}", "This field is required.", "required")
        lines.append(values)
    return lines


def _require(rows: list[Row], names: Sequence[str], errors: Errors) -> None:
    """Fields a new row must carry (an existing row keeps its current values)."""
    for row in rows:
        if row.existing is None:
            for name in names:
                if row.values.get(name) in (None, ""):
                    errors.add(f"[{row.index}].{name}", "This field is required for a new row.", "required")
            if row.lines is None:
                errors.add(f"[{row.index}].lines", "A new row needs its lines.", "required")


def _resolve_ids(rows: list[Row], name: str, model, errors: Errors, label: str, *extra: str) -> dict[int, tuple]:
    """One query for every id the rows name in ``name``; unknown ids are row errors."""
    ids = {row.values[name] for row in rows if row.values.get(name) is not None}
    found = {r[0]: r[1:] for r in model._default_manager.filter(pk__in=ids).values_list("pk", *extra)}
    for row in rows:
        value = row.values.get(name)
        if value is not None and value not in found:
            errors.add(f"[{row.index}].{name}", f"No {label} has id {value}.", "does_not_exist")
    return found


def _resolve_items(rows: list[Row], errors: Errors) -> dict[str, ControlledItem]:
    codes = {line["item"] for row in rows for line in row.lines or () if "item" in line}
    items = {item.code: item for item in ControlledItem.objects.filter(code__in=codes).only("pk", "code")}
    for row in rows:
        for j, line in enumerate(row.lines or ()):
            code = line.get("item")
            if code is not None and code not in items:
                errors.add(
                    f"[{row.index}].lines[{j}].item", f"No controlled item has the code '{code}'.", "does_not_exist"
                )
    return items


def _effective(row: Row, name: str, default: Any = None) -> Any:
    if name in row.values:
        return row.values[name]
    return getattr(row.existing, name, default) if row.existing is not None else default


@dataclass
class BulkResult:
    created: int
    updated: int
    results: list[dict[str, Any]]


def _result(rows: list[Row], objects: list) -> BulkResult:
    created = sum(1 for row in rows if row.existing is None)
    return BulkResult(
        created=created,
        updated=len(rows) - created,
        results=[
            {"index": row.index, "id": obj.pk, "external_ref": obj.external_ref, "created": row.existing is None}
            for row, obj in zip(rows, objects, strict=True)
        ],
    )


# --- Shipments ----------------------------------------------------------------------------------

SHIPMENT_FIELDS: dict[str, Callable] = {
    "external_ref": text(100, blank=False),
    "reference": text(100, blank=False),
    "supplier": ident(),
    "purchase_order": ident(null=True),
    "licence": ident(null=True),
    "status": choice(ShipmentStatus.values),
    "transport_mode": choice(TransportMode.values, blank=True),
    "planned_ship_date": date,
    "actual_ship_date": date,
    "eta": date,
    "arrived_on": date,
    "held_on": date,
    "notes": text(10000),
}
SHIPMENT_LINE_FIELDS: dict[str, Callable] = {
    "item": text(40, blank=False),
    "quantity": decimal(18, 3),
    "unit": choice(Unit.values),
}
_FK = {"supplier": "supplier_id", "purchase_order": "purchase_order_id", "licence": "licence_id"}


@transaction.atomic
def shipments_bulk_upsert(rows: Any, *, actor=None) -> BulkResult:
    """Create or update up to 10,000 shipments by ``external_ref`` with their lines, all or
    nothing. Raises DomainError (400) with every row error, or ConflictError (409) when the
    only errors are over-draws."""
    errors = Errors()
    parsed = parse_rows(rows, SHIPMENT_FIELDS, SHIPMENT_LINE_FIELDS, errors)
    refs = [row.values["external_ref"] for row in parsed if row.values.get("external_ref")]
    # Locked: a concurrent single-shipment write cannot change a row between check and write.
    existing = {s.external_ref: s for s in Shipment.objects.select_for_update().filter(external_ref__in=refs)}
    for row in parsed:
        row.existing = existing.get(row.values.get("external_ref"))
    _require(parsed, ("reference", "supplier"), errors)
    _resolve_ids(parsed, "supplier", Supplier, errors, "supplier")
    orders = _resolve_ids(parsed, "purchase_order", PurchaseOrder, errors, "purchase order", "supplier_id")
    licences = _resolve_ids(parsed, "licence", Licence, errors, "licence", "supplier_id", "status", "number")
    items = _resolve_items(parsed, errors)
    cal = None
    for row in parsed:
        i, v = row.index, row.values
        supplier_id = v.get("supplier", row.existing.supplier_id if row.existing else None)
        po = v.get("purchase_order")
        if po in orders and orders[po][0] != supplier_id:
            errors.add(f"[{i}].purchase_order", f"Purchase order {po} belongs to another supplier.", "wrong_supplier")
        lic = v.get("licence")
        if lic in licences:
            lic_supplier, lic_status, number = licences[lic]
            if lic_supplier != supplier_id:
                errors.add(f"[{i}].licence", f"Licence {number} belongs to another supplier.", "wrong_supplier")
            elif lic_status == LicenceStatus.REVOKED:
                errors.add(f"[{i}].licence", f"Licence {number} is revoked.", "revoked", conflict=True)
        etd, eta = _effective(row, "planned_ship_date"), _effective(row, "eta")
        if etd and eta and eta < etd:
            errors.add(f"[{i}].eta", "The ETA cannot be before the planned ship date.", "invalid_range")
        status = _effective(row, "status", ShipmentStatus.PLANNED)
        held_on = _effective(row, "held_on")
        if status == ShipmentStatus.HELD and held_on is None:
            errors.add(f"[{i}].held_on", "Give the day customs held the shipment.", "required")
        if held_on is not None:
            cal = cal or clock.calendar()  # loaded once for the whole batch
            v["customs_response_due"] = customs_response_due(held_on, cal=cal)
        elif "held_on" in v:
            v["customs_response_due"] = None
    current_lines = _current_shipment_lines([row.existing for row in parsed if row.existing])
    errors.raise_if_any()
    _check_drawdown(parsed, items, current_lines, errors)
    errors.raise_if_any()
    return _write_shipments(parsed, items, actor)


def _current_shipment_lines(shipments: list[Shipment]) -> dict[int, list[tuple[int, Decimal, str]]]:
    by_shipment: dict[int, list] = defaultdict(list)
    if shipments:
        for sid, item_id, qty, unit in ShipmentLine.objects.filter(shipment__in=shipments).values_list(
            "shipment_id", "item_id", "quantity", "unit"
        ):
            by_shipment[sid].append((item_id, qty, unit))
    return by_shipment


def _check_drawdown(parsed: list[Row], items: dict, current_lines: dict, errors: Errors) -> None:
    """Refuse any row that would draw a licence line below zero, counting the rows in order.

    The licence lines are locked first (SELECT ... FOR UPDATE, as the single-shipment service
    does), so a concurrent writer queues behind this transaction and then sees its rows.
    """
    licence_of: dict[int, int | None] = {}
    for row in parsed:
        lic = row.values["licence"] if "licence" in row.values else (row.existing.licence_id if row.existing else None)
        licence_of[row.index] = lic
    old_ids = {row.existing.licence_id for row in parsed if row.existing and row.existing.licence_id}
    lic_ids = {lic for lic in licence_of.values() if lic} | old_ids
    if not lic_ids:
        return
    list(LicenceLine.objects.select_for_update().filter(licence_id__in=lic_ids).values_list("pk", flat=True))
    lines = {
        (line.licence_id, line.item_id): line
        for line in licence_lines_with_drawdown(LicenceLine.objects.filter(licence_id__in=lic_ids)).select_related(
            "licence"
        )
    }
    available = {key: line.balance for key, line in lines.items()}
    code_of = {item.pk: code for code, item in items.items()}
    # What this call's existing rows draw today is given back before their new lines count.
    for row in parsed:
        old = row.existing
        if old is not None and old.licence_id and old.status != ShipmentStatus.CANCELLED:
            for item_id, qty, unit in current_lines.get(old.pk, ()):
                line = lines.get((old.licence_id, item_id))
                if line is not None:
                    available[(old.licence_id, item_id)] += qty * TO_BASE[unit] / TO_BASE[line.unit]
    for row in parsed:
        lic = licence_of[row.index]
        status = _effective(row, "status", ShipmentStatus.PLANNED)
        if not lic or status == ShipmentStatus.CANCELLED:
            continue
        forced_before = (
            row.existing is not None
            and row.existing.overdraw_override
            and row.lines is None
            and lic == row.existing.licence_id
        )
        if row.lines is not None:
            new = [(items[line["item"]].pk, line["quantity"], line.get("unit", Unit.KG)) for line in row.lines]
        else:
            new = current_lines.get(row.existing.pk, []) if row.existing else []
        for j, (item_id, qty, unit) in enumerate(new):
            line = lines.get((lic, item_id))
            code = code_of.get(item_id, f"id {item_id}")
            if line is None:
                errors.add(
                    f"[{row.index}].lines[{j}].item",
                    f"The licence (id {lic}) has no line for item {code}.",
                    "not_on_licence",
                    conflict=True,
                )
                continue
            if (unit == Unit.PCS) != (line.unit == Unit.PCS):
                errors.add(
                    f"[{row.index}].lines[{j}].unit",
                    f"Licence {line.licence.number} counts {code} in {line.unit}, not {unit}.",
                    "unit_mismatch",
                )
                continue
            asked = qty * TO_BASE[unit] / TO_BASE[line.unit]
            left = available[(lic, item_id)]
            available[(lic, item_id)] = left - asked
            if asked > left and not forced_before:
                errors.add(
                    f"[{row.index}].lines[{j}].quantity",
                    f"Licence {line.licence.number} has {max(left, Decimal(0)).normalize():f} {line.unit} of "
                    f"{code} left; this shipment asks for {asked.normalize():f} {line.unit}.",
                    "overdraw",
                    conflict=True,
                )


def _assign(obj, values: dict) -> None:
    for name, value in values.items():
        setattr(obj, _FK.get(name, name), value)


def _write_shipments(parsed: list[Row], items: dict, actor) -> BulkResult:
    now = timezone.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    new = []
    for row in parsed:
        if row.existing is None:
            obj = Shipment()
            _assign(obj, row.values)
            new.append(obj)
    writes.insert(Shipment, new, user=user, reason=REASON)
    updated = [row.existing for row in parsed if row.existing is not None]
    if updated:
        names = set()
        for row in parsed:
            if row.existing is not None:
                _assign(row.existing, row.values)
                row.existing.updated_at = now
                names |= {_FK.get(n, n) for n in row.values} | {"updated_at"}
        writes.update(Shipment, updated, sorted(names), user=user, reason=REASON)
    created = iter(new)
    objects = [row.existing if row.existing is not None else next(created) for row in parsed]
    replaced = [obj.pk for row, obj in zip(parsed, objects, strict=True) if row.existing and row.lines is not None]
    if replaced:
        # A raw DELETE: one statement, no per-row signals (the new lines' history records the change).
        ShipmentLine.objects.filter(shipment_id__in=replaced)._raw_delete(ShipmentLine.objects.db)
    line_objs = [
        ShipmentLine(
            shipment_id=obj.pk,
            item_id=items[line["item"]].pk,
            quantity=line["quantity"],
            unit=line.get("unit", Unit.KG),
        )
        for row, obj in zip(parsed, objects, strict=True)
        for line in row.lines or ()
    ]
    writes.insert(ShipmentLine, line_objs, user=user, reason=REASON)
    licence_ids = {obj.licence_id for obj in objects if obj.licence_id} | {
        row.existing.licence_id for row in parsed if row.existing and row.existing.licence_id
    }
    licences_refresh_status(licence_ids)
    return _result(parsed, objects)


# --- Purchase orders ----------------------------------------------------------------------------

PO_FIELDS: dict[str, Callable] = {
    "external_ref": text(100, blank=False),
    "number": text(100, blank=False),
    "supplier": ident(),
    "order_date": required_date,
    "needed_by": date,
    "status": choice(PurchaseOrder.Status.values),
    "notes": text(10000),
}
PO_LINE_FIELDS: dict[str, Callable] = {
    "item": text(40, blank=False),
    "quantity": decimal(18, 3),
    "unit": choice(Unit.values),
    "unit_price": decimal(18, 4, positive=False, null=True),
    "currency": _currency,
}


@transaction.atomic
def purchase_orders_bulk_upsert(rows: Any, *, actor=None) -> BulkResult:
    """Create or update up to 10,000 purchase orders by ``external_ref`` with their lines, all
    or nothing; DomainError (400) names every bad row and field."""
    errors = Errors()
    parsed = parse_rows(rows, PO_FIELDS, PO_LINE_FIELDS, errors)
    refs = [row.values["external_ref"] for row in parsed if row.values.get("external_ref")]
    existing = {p.external_ref: p for p in PurchaseOrder.objects.select_for_update().filter(external_ref__in=refs)}
    for row in parsed:
        row.existing = existing.get(row.values.get("external_ref"))
    _require(parsed, ("number", "supplier", "order_date"), errors)
    _resolve_ids(parsed, "supplier", Supplier, errors, "supplier")
    items = _resolve_items(parsed, errors)
    numbers = {row.values["number"]: row for row in parsed if row.values.get("number")}
    taken = PurchaseOrder.objects.filter(number__in=list(numbers)).values_list("number", "external_ref", "pk")
    for number, ref, pk in taken:
        row = numbers[number]
        if ref != row.values.get("external_ref"):
            errors.add(f"[{row.index}].number", f"Purchase order {number} exists already (id {pk}).", "unique")
    seen: dict[str, int] = {}
    for row in parsed:
        number = row.values.get("number")
        if number in seen and number is not None:
            errors.add(f"[{row.index}].number", f"Row {seen[number]} has the same number.", "duplicate")
        seen.setdefault(number, row.index)
        ordered, needed = _effective(row, "order_date"), _effective(row, "needed_by")
        if ordered and needed and needed < ordered:
            errors.add(
                f"[{row.index}].needed_by", "The needed-by date cannot be before the order date.", "invalid_range"
            )
    errors.raise_if_any()

    now = timezone.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    new = []
    for row in parsed:
        obj = row.existing or PurchaseOrder()
        _assign(obj, row.values)
        if row.existing is None:
            new.append(obj)
        else:
            obj.updated_at = now
    writes.insert(PurchaseOrder, new, user=user, reason=REASON)
    updated = [row.existing for row in parsed if row.existing is not None]
    if updated:
        names = sorted({_FK.get(n, n) for row in parsed if row.existing for n in row.values} | {"updated_at"})
        writes.update(PurchaseOrder, updated, names, user=user, reason=REASON)
    created = iter(new)
    objects = [row.existing if row.existing is not None else next(created) for row in parsed]
    replaced = [obj.pk for row, obj in zip(parsed, objects, strict=True) if row.existing and row.lines is not None]
    if replaced:
        PurchaseOrderLine.objects.filter(purchase_order_id__in=replaced)._raw_delete(PurchaseOrderLine.objects.db)
    line_objs = [
        PurchaseOrderLine(
            purchase_order_id=obj.pk,
            item_code=items[line["item"]].code,
            quantity=line["quantity"],
            unit=line.get("unit", Unit.KG),
            unit_price=line.get("unit_price"),
            currency=line.get("currency", "USD"),
        )
        for row, obj in zip(parsed, objects, strict=True)
        for line in row.lines or ()
    ]
    writes.insert(PurchaseOrderLine, line_objs, user=user, reason=REASON)
    return _result(parsed, objects)

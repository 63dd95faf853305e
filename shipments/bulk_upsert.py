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
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import copy_writes as writes
from core.errors import ConflictError, DomainError
from core.parsing import DATE_MESSAGE, DECIMAL_MESSAGE, ParseError, parse_choice, parse_date, parse_decimal
from core.services import field_errors
from licensing import clock
from licensing.models import ControlledItem, Licence, LicenceLine, TransportMode, Unit
from suppliers.models import PurchaseOrder, PurchaseOrderLine, Supplier
from suppliers.services import purchase_order_check_supplier

from . import drawdown
from .models import Shipment, ShipmentLine, ShipmentStatus
from .selectors import TO_BASE, licence_lines_with_drawdown
from .services import PO_NEEDED_BY_MESSAGE, SHIPMENT_ETA_MESSAGE, customs_response_due, licences_refresh_status

MAX_ID = 2**63 - 1
MAX_ERRORS = 1000  # enough to fix a file; a 10,000-row payload of bad rows stays readable
REASON = "bulk upsert"  # the change reason on every history row a bulk call writes


# --- Parsing one value --------------------------------------------------------------------------


Bad = ParseError


def text(*, blank: bool = True) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        # Lengths and characters are the model's rules (core.validators), checked by _check_fields.
        if not isinstance(value, str):
            raise Bad("Give a string.")
        if not blank and not value.strip():
            raise Bad("This field may not be blank.", "blank")
        return value

    return parse


def date(value: Any) -> dt.date | None:
    """null or an ISO date (``core.parsing.parse_date``); "" is not a date in JSON."""
    if value == "" or not (value is None or isinstance(value, str)):
        raise Bad(DATE_MESSAGE, "invalid_date")
    return parse_date(value)


def required_date(value: Any) -> dt.date:
    if value is None:
        raise Bad("This field may not be null.", "null")
    return date(value)


def choice(values: Sequence[str], *, blank: bool = False) -> Callable[[Any], str]:
    return lambda value: parse_choice(value, values, blank=blank)


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
        if value is None or value == "":
            raise Bad(DECIMAL_MESSAGE)
        return parse_decimal(value, max_digits=max_digits, places=places, positive=positive)

    return parse


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

    def add_exc(self, prefix: str, exc: ValidationError) -> None:
        """A service's field errors, keyed under this row (``prefix`` is ``"[3]."``)."""
        for name, errors in exc.error_dict.items():
            for error in errors:
                self.add(f"{prefix}{name}", error.messages[0], error.code or "invalid")

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


def _check_fields(rows: list[Row], model, line_model, errors: Errors) -> None:
    """The model's own field validators on every row and line (``core.services.field_errors``):
    the same rules and messages as a single write through the services."""
    for row in rows:
        obj = model(**{k: v for k, v in row.values.items() if k not in _FK})
        for name, messages in field_errors(obj, only=row.values).items():
            for message in messages:
                errors.add(f"[{row.index}].{name}", message)
        for j, line in enumerate(row.lines or ()):
            line_obj = line_model(**{k: v for k, v in line.items() if k != "item"})
            for name, messages in field_errors(line_obj, only=line).items():
                for message in messages:
                    errors.add(f"[{row.index}].lines[{j}].{name}", message)


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
    "external_ref": text(blank=False),
    "reference": text(blank=False),
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
    "customs_question": text(),
    "notes": text(),
}
SHIPMENT_LINE_FIELDS: dict[str, Callable] = {
    "item": text(blank=False),
    "quantity": decimal(18, 3),
    "unit": choice(Unit.values),
}
_FK = {"supplier": "supplier_id", "purchase_order": "purchase_order_id", "licence": "licence_id"}


@transaction.atomic
def shipments_bulk_upsert(rows: Any, *, actor=None) -> BulkResult:
    """Create or update up to 10,000 shipments by ``external_ref`` with their lines, all or
    nothing. Raises DomainError (400) with every row error, or ConflictError (409) when the
    only errors are conflicts with a licence (over-draw, expired or revoked licence)."""
    errors = Errors()
    parsed = parse_rows(rows, SHIPMENT_FIELDS, SHIPMENT_LINE_FIELDS, errors)
    refs = [row.values["external_ref"] for row in parsed if row.values.get("external_ref")]
    # Locked: a concurrent single-shipment write cannot change a row between check and write.
    existing = {s.external_ref: s for s in Shipment.objects.select_for_update().filter(external_ref__in=refs)}
    for row in parsed:
        row.existing = existing.get(row.values.get("external_ref"))
    _require(parsed, ("reference", "supplier"), errors)
    _check_fields(parsed, Shipment, ShipmentLine, errors)
    _resolve_ids(parsed, "supplier", Supplier, errors, "supplier")
    orders = _resolve_ids(parsed, "purchase_order", PurchaseOrder, errors, "purchase order", "supplier_id", "number")
    _resolve_ids(parsed, "licence", Licence, errors, "licence")  # the licence rules run in _check_licences
    items = _resolve_items(parsed, errors)
    _check_shipment_rows(parsed, orders, errors)
    current_lines = _current_shipment_lines([row.existing for row in parsed if row.existing])
    errors.raise_if_any()
    _check_licences(parsed, items, current_lines, errors)
    errors.raise_if_any()
    return _write_shipments(parsed, items, actor)


def _supplier_of(row: Row) -> int | None:
    return row.values.get("supplier", row.existing.supplier_id if row.existing else None)


def _check_shipment_rows(parsed: list[Row], orders: dict[int, tuple], errors: Errors) -> None:
    """A row's own rules: its purchase order's supplier, ETA after ETD, a held row's hold date
    (and its customs window, the calendar loaded once for the whole call)."""
    cal = None
    for row in parsed:
        i, v = row.index, row.values
        po = v.get("purchase_order")
        if po in orders:
            po_supplier, number = orders[po]
            try:
                purchase_order_check_supplier(PurchaseOrder(supplier_id=po_supplier, number=number), _supplier_of(row))
            except DomainError as exc:
                errors.add_exc(f"[{i}].", exc)
        etd, eta = _effective(row, "planned_ship_date"), _effective(row, "eta")
        if etd and eta and eta < etd:
            errors.add(f"[{i}].eta", SHIPMENT_ETA_MESSAGE, "invalid_range")
        status = _effective(row, "status", ShipmentStatus.PLANNED)
        held_on = _effective(row, "held_on")
        if status == ShipmentStatus.HELD and held_on is None:
            errors.add(f"[{i}].held_on", "Give the day customs held the shipment.", "required")
        if held_on is not None:
            cal = cal or clock.calendar()
            v["customs_response_due"] = customs_response_due(held_on, cal=cal)
        elif "held_on" in v:
            v["customs_response_due"] = None


def _current_shipment_lines(shipments: list[Shipment]) -> dict[int, list[tuple[int, Decimal, str]]]:
    by_shipment: dict[int, list] = defaultdict(list)
    if shipments:
        for sid, item_id, qty, unit in ShipmentLine.objects.filter(shipment__in=shipments).values_list(
            "shipment_id", "item_id", "quantity", "unit"
        ):
            by_shipment[sid].append((item_id, qty, unit))
    return by_shipment


def _licence_of(row: Row) -> int | None:
    if "licence" in row.values:
        return row.values["licence"]
    return row.existing.licence_id if row.existing else None


def _locked_balances(lic_ids: set[int]) -> tuple[dict[int, Licence], dict[int, dict[int, drawdown.LineBalance]]]:
    """The licences and their lines' balances by licence and item, the lines locked first
    (SELECT ... FOR UPDATE, as the single-shipment service does), so a concurrent writer
    queues behind this transaction and then sees its rows."""
    list(LicenceLine.objects.select_for_update().filter(licence_id__in=lic_ids).values_list("pk", flat=True))
    licences: dict[int, Licence] = {}
    balances: dict[int, dict[int, drawdown.LineBalance]] = defaultdict(dict)
    lines = licence_lines_with_drawdown(LicenceLine.objects.filter(licence_id__in=lic_ids)).select_related("licence")
    for line in lines:
        licences[line.licence_id] = line.licence
        balances[line.licence_id][line.item_id] = drawdown.LineBalance(line.unit, line.balance)
    if missing := lic_ids - set(licences):  # a licence without lines (none is recorded so): no query otherwise
        licences |= {lic.pk: lic for lic in Licence.objects.filter(pk__in=missing)}
    return licences, balances


def _give_back(parsed: list[Row], balances: dict, current_lines: dict) -> None:
    """What this call's existing rows draw today is given back before their new lines count."""
    for row in parsed:
        old = row.existing
        if old is None or not old.licence_id or old.status == ShipmentStatus.CANCELLED:
            continue
        lines = balances[old.licence_id]
        for item_id, qty, unit in current_lines.get(old.pk, ()):
            if (line := lines.get(item_id)) is not None:
                given_back = qty * TO_BASE[unit] / TO_BASE[line.unit]
                lines[item_id] = drawdown.LineBalance(line.unit, line.balance + given_back)


def _row_requested(row: Row, items: dict, code_of: dict, current_lines: dict) -> list[drawdown.Requested]:
    if row.lines is not None:
        return [
            drawdown.Requested(items[line["item"]].pk, line["item"], line["quantity"], line.get("unit", Unit.KG))
            for line in row.lines
        ]
    current = current_lines.get(row.existing.pk, []) if row.existing else []
    return [drawdown.Requested(i, code_of.get(i, f"id {i}"), q, u) for i, q, u in current]


def _check_licences(parsed: list[Row], items: dict, current_lines: dict, errors: Errors) -> None:
    """``drawdown.licence_refusals`` and ``drawdown.drawdown_refusals`` for every drawing row,
    counting the rows in order against what the earlier ones left. Bulk calls cannot force a
    refusal (that needs a compliance officer's note, one shipment at a time); a refusal forced
    earlier stays accepted while the row keeps its licence and lines."""
    old_ids = {row.existing.licence_id for row in parsed if row.existing and row.existing.licence_id}
    lic_ids = {lic for row in parsed if (lic := _licence_of(row))} | old_ids
    if not lic_ids:
        return
    licences, balances = _locked_balances(lic_ids)
    _give_back(parsed, balances, current_lines)
    code_of = {item.pk: code for code, item in items.items()}
    today = clock.today()
    for row in parsed:
        lic = licences.get(_licence_of(row))
        if lic is None or _effective(row, "status", ShipmentStatus.PLANNED) == ShipmentStatus.CANCELLED:
            continue
        refusals = drawdown.licence_refusals(
            licence_number=lic.number, licence_supplier_id=lic.supplier_id, status=lic.status,
            valid_until=lic.valid_until, supplier_id=_supplier_of(row),
            actual_ship_date=_effective(row, "actual_ship_date"), today=today,
        )
        refusals += drawdown.drawdown_refusals(
            licence_number=lic.number, lines=balances[lic.pk],
            requested=_row_requested(row, items, code_of, current_lines),
        )
        forced_before = row.existing is not None and row.existing.overdraw_override and row.lines is None and (
            lic.pk == row.existing.licence_id
        )
        for r in refusals:
            if not (forced_before and r.code in drawdown.FORCEABLE):
                errors.add(f"[{row.index}].{r.field}", r.message, r.code, conflict=r.conflict)


def _assign(obj, values: dict) -> None:
    for name, value in values.items():
        setattr(obj, _FK.get(name, name), value)


def _upsert(parsed: list[Row], model, owner: str, line_of: Callable[[int, dict], Any], actor) -> list:
    """Write the checked rows: new ones inserted, existing ones updated (only the fields the
    rows name, plus ``updated_at``), and the lines of rows that carry ``lines`` replaced
    (``line_of(owner_pk, line)`` builds one). History rows through ``core.copy_writes``. Returns
    the objects in row order."""
    now = timezone.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    new, updated, names = [], [], {"updated_at"}
    for row in parsed:
        obj = row.existing or model()
        _assign(obj, row.values)
        if row.existing is None:
            new.append(obj)
        else:
            obj.updated_at = now
            updated.append(obj)
            names |= {_FK.get(n, n) for n in row.values}
    writes.insert(model, new, user=user, reason=REASON)
    if updated:
        writes.update(model, updated, sorted(names), user=user, reason=REASON)
    created = iter(new)
    objects = [row.existing if row.existing is not None else next(created) for row in parsed]
    line_model = model._meta.get_field("lines").related_model
    replaced = [obj.pk for row, obj in zip(parsed, objects, strict=True) if row.existing and row.lines is not None]
    if replaced:
        # A raw DELETE: one statement, no per-row signals (the new lines' history records the change).
        line_model.objects.filter(**{f"{owner}_id__in": replaced})._raw_delete(line_model.objects.db)
    lines = [line_of(obj.pk, line) for row, obj in zip(parsed, objects, strict=True) for line in row.lines or ()]
    writes.insert(line_model, lines, user=user, reason=REASON)
    return objects


def _write_shipments(parsed: list[Row], items: dict, actor) -> BulkResult:
    old_licences = {row.existing.licence_id for row in parsed if row.existing and row.existing.licence_id}

    def line_of(shipment_id: int, line: dict) -> ShipmentLine:
        return ShipmentLine(
            shipment_id=shipment_id, item_id=items[line["item"]].pk, quantity=line["quantity"],
            unit=line.get("unit", Unit.KG),
        )

    objects = _upsert(parsed, Shipment, "shipment", line_of, actor)
    licences_refresh_status({obj.licence_id for obj in objects if obj.licence_id} | old_licences)
    return _result(parsed, objects)


# --- Purchase orders ----------------------------------------------------------------------------

PO_FIELDS: dict[str, Callable] = {
    "external_ref": text(blank=False),
    "number": text(blank=False),
    "supplier": ident(),
    "order_date": required_date,
    "needed_by": date,
    "status": choice(PurchaseOrder.Status.values),
    "notes": text(),
}
PO_LINE_FIELDS: dict[str, Callable] = {
    "item": text(blank=False),
    "quantity": decimal(18, 3),
    "unit": choice(Unit.values),
    "unit_price": decimal(18, 4, positive=False, null=True),
    "currency": text(blank=False),
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
    _check_fields(parsed, PurchaseOrder, PurchaseOrderLine, errors)
    _resolve_ids(parsed, "supplier", Supplier, errors, "supplier")
    items = _resolve_items(parsed, errors)
    _check_po_numbers(parsed, errors)
    _check_po_dates(parsed, errors)
    errors.raise_if_any()

    def line_of(po_id: int, line: dict) -> PurchaseOrderLine:
        return PurchaseOrderLine(
            purchase_order_id=po_id, item_code=items[line["item"]].code, quantity=line["quantity"],
            unit=line.get("unit", Unit.KG), unit_price=line.get("unit_price"), currency=line.get("currency", "USD"),
        )

    return _result(parsed, _upsert(parsed, PurchaseOrder, "purchase_order", line_of, actor))


def _check_po_numbers(parsed: list[Row], errors: Errors) -> None:
    """A number belongs to one order: not another stored one, not another row of this call."""
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


def _check_po_dates(parsed: list[Row], errors: Errors) -> None:
    for row in parsed:
        ordered, needed = _effective(row, "order_date"), _effective(row, "needed_by")
        if ordered and needed and needed < ordered:
            errors.add(
                f"[{row.index}].needed_by", PO_NEEDED_BY_MESSAGE, "invalid_range"
            )

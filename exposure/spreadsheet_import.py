"""Products from CSV/XLSX: one row per content line, rows sharing a SKU form one product
(docs/exposure.md). The upload, preview and commit page is shipments' (``import_view``); this
module parses cells with the same ``Parser`` and calls ``services.product_save``."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from core.spreadsheets import Row, RowError
from core.validators import validate_currency
from shipments.spreadsheet_import import Lookups, Parser, _group

from . import services
from .models import Product

PRODUCT_COLUMNS = [
    ("sku", True, "Your product code; rows with the same SKU form one product."),
    ("name", True, "Product name."),
    ("unit_value", True, "Value of one unit (the price it is sold or re-exported at)."),
    ("currency", False, "ISO code of the unit value, default USD."),
    ("destinations", False, "Countries it ships to: ISO alpha-2 codes separated by spaces (US DE JP)."),
    ("element", False, "Rare-earth symbol of this content line (Dy, Tb, Nd…); empty: no content."),
    ("mass_g", False, "Grams of the element per unit."),
    ("china_origin", False, "yes (default) or no."),
    ("value", False, "Value of this content per unit."),
    ("content_currency", False, "ISO code of the content value, default the product's."),
    ("supplier", False, "Supplier name or ERP reference the content comes from."),
    ("purchase_order", False, "Purchase order number the content comes from."),
    ("external_ref", False, "Your ERP's key."),
]

YES = {"yes", "y", "true", "1", "cn", "china"}
NO = {"no", "n", "false", "0"}


def _flag(p: Parser, row: Row, column: str) -> bool:
    value = row.get(column).strip().lower()
    if not value or value in YES:
        return True
    if value not in NO:
        p.fail(row, column, f"“{row.get(column)}” is not yes or no.")
    return value not in NO


def _currency(p: Parser, row: Row, column: str, default: str) -> str:
    value = (row.get(column) or default).strip().upper()  # exposure takes codes in any case, as its service does
    try:
        validate_currency(value)
    except ValidationError as exc:
        p.fail(row, column, exc.messages[0])
    return value


def _contents(p: Parser, rows: list[Row], look: Lookups, currency: str) -> list[dict]:
    lines = []
    for row in rows:
        if not row.get("element"):
            continue
        lines.append({
            "element": row.get("element"),
            "mass_g": p.decimal(row, "mass_g", required=True),
            "china_origin": _flag(p, row, "china_origin"),
            "value": p.decimal(row, "value", required=True),
            "currency": _currency(p, row, "content_currency", currency),
            "supplier": p.lookup(row, "supplier", look.suppliers, "supplier"),
            "purchase_order": p.lookup(row, "purchase_order", look.orders, "purchase order", lower=False),
        })
    return lines


def product_groups(rows: list[Row], actor) -> tuple[list, list[dict], list[RowError]]:
    look = Lookups(rows)
    p = Parser()
    existing = {x.sku: x for x in Product.objects.filter(sku__in={r.get("sku") for r in rows} - {""})}
    groups, records = [], []
    for group in _group(rows, lambda r: r.get("sku")):
        first = group[0]
        before = len(p.errors)
        fields = {
            "sku": p.required(first, "sku"),
            "name": p.required(first, "name"),
            "unit_value": p.decimal(first, "unit_value", required=True),
            "currency": _currency(p, first, "currency", "USD"),
            "destinations": first.get("destinations"),
            "external_ref": first.get("external_ref"),
        }
        contents = _contents(p, group, look, fields["currency"])
        product = existing.get(fields["sku"])
        records.append({
            "row": first.number,
            "key": fields["sku"],
            "action": "update" if product else "create",
            "supplier": fields["name"],
            "status": fields["destinations"],
            "lines": [
                {"item": {"code": f"{c['element']}{' (CN)' if c['china_origin'] else ''}"}, "quantity": c["mass_g"],
                 "unit": "g"}
                for c in contents
            ],
        })
        if len(p.errors) > before:
            continue

        def call(product=product, fields=fields, contents=contents):
            services.product_save(product=product, contents=contents, actor=actor, **fields)

        groups.append((group, call))
    return groups, records, p.errors


PRODUCT_IMPORT = {
    "columns": PRODUCT_COLUMNS,
    "build": product_groups,
    "title": "products",
    "back": "product-list",
    "example": {
        "sku": "MTR-48V-2KW", "name": "48 V traction motor", "unit_value": "420.00", "currency": "EUR",
        "destinations": "US DE", "element": "Dy", "mass_g": "18.5", "china_origin": "yes", "value": "0.62",
        "content_currency": "USD", "supplier": "Baotou Rare Earth Magnet Co.",
    },
}

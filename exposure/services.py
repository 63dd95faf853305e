"""Writes of the exposure app: products with their content, and the FX table. Every door (UI
form, spreadsheet import, API) calls these with the same messages (docs/exposure.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from core.errors import DomainError
from core.services import lines_create, save_validated

from .models import FxRate, Product, ProductContent

PRODUCT_FIELDS = frozenset({"sku", "name", "unit_value", "currency", "destinations", "notes", "external_ref"})
CONTENT_FIELDS = frozenset({"element", "mass_g", "china_origin", "supplier", "purchase_order", "value", "currency"})
FX_FIELDS = frozenset({"currency", "quote", "valid_from", "rate", "source"})


def _refuse_unknown(fields: Mapping[str, Any], allowed: frozenset[str], prefix: str = "") -> None:
    if unknown := set(fields) - allowed:
        raise DomainError({f"{prefix}{name}": "This field cannot be set here." for name in sorted(unknown)})


def _normalise_codes(value: str) -> str:
    return " ".join(sorted({c.upper() for c in str(value or "").replace(",", " ").split()}))


def _contents(contents: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i, data in enumerate(contents):
        _refuse_unknown(data, CONTENT_FIELDS, prefix=f"lines[{i}].")
        line = dict(data)
        if "element" in line:
            element = str(line["element"] or "").strip()
            line["element"] = element[:1].upper() + element[1:].lower()
        if "currency" in line:
            line["currency"] = str(line["currency"] or "").strip().upper()
        po = line.get("purchase_order")
        if po is not None and line.get("supplier") is None:
            line["supplier"] = po.supplier  # a content traced to an order is traced to its supplier
        out.append(line)
    return out


@transaction.atomic
def product_save(
    *, product: Product | None = None, contents: Iterable[Mapping[str, Any]] | None = None, actor=None,
    **fields: Any,
) -> Product:
    """Create or update a product; ``contents`` (when given) replace its rare-earth content.
    Errors are keyed by field, content errors ``lines[i].field``."""
    _refuse_unknown(fields, PRODUCT_FIELDS)
    product = product or Product()
    for name, value in fields.items():
        setattr(product, name, value)
    product.currency = (product.currency or "").strip().upper()
    product.destinations = _normalise_codes(product.destinations)
    save_validated(product, actor=actor, reason="saved")
    if contents is not None:
        product.contents.all().delete()
        lines_create(ProductContent, "product", product, _contents(contents), actor=actor)
    return product


def product_delete(*, product: Product, actor=None) -> None:
    product._history_user = actor if getattr(actor, "is_authenticated", False) else None
    product.delete()


def fx_rate_save(*, fx_rate: FxRate | None = None, actor=None, **fields: Any) -> FxRate:
    """Compliance keeps the dated table; one rate per pair and day."""
    _refuse_unknown(fields, FX_FIELDS)
    rate = fx_rate or FxRate()
    for name, value in fields.items():
        setattr(rate, name, value)
    rate.currency = (rate.currency or "").strip().upper()
    rate.quote = (rate.quote or "").strip().upper()
    save_validated(rate, actor=actor, reason="saved")
    return rate

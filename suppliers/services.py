"""Writes for suppliers: one function per action, whatever the door."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from core.errors import DomainError, field_error
from core.services import save_validated

from .models import PurchaseOrder, Supplier, SupplierContact

SUPPLIER_FIELDS = frozenset(
    {
        "name", "local_name", "country", "uscc", "contact_name", "contact_email", "phone", "active", "notes",
        "portal_apply_reports",
        "external_ref",
    }
)


def purchase_order_check_supplier(purchase_order: PurchaseOrder | None, supplier_id: int | None) -> None:
    """A shipment or an application may name only a purchase order of its own supplier."""
    if purchase_order is not None and supplier_id is not None and purchase_order.supplier_id != supplier_id:
        raise field_error(
            "purchase_order", f"Purchase order {purchase_order.number} belongs to another supplier.",
            code="wrong_supplier",
        )


def _refuse_unknown(fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    if unknown := set(fields) - allowed:
        raise DomainError({name: "This field cannot be set here." for name in sorted(unknown)})


@transaction.atomic
def supplier_save(*, supplier: Supplier | None = None, actor=None, **fields: Any) -> Supplier:
    _refuse_unknown(fields, SUPPLIER_FIELDS)
    supplier = supplier or Supplier()
    for name, value in fields.items():
        setattr(supplier, name, value)
    supplier.uscc = supplier.uscc.upper()  # the code's letters are capitals by its standard (GB 32100)
    save_validated(supplier, actor=actor, reason="saved")
    return supplier


CONTACT_FIELDS = frozenset({"name", "email", "language", "active"})


@transaction.atomic
def supplier_contact_save(
    *, contact: SupplierContact | None = None, supplier: Supplier | None = None, actor=None, **fields: Any
) -> SupplierContact:
    """Create a supplier's portal contact (``supplier`` given) or change one."""
    _refuse_unknown(fields, CONTACT_FIELDS)
    contact = contact or SupplierContact(supplier=supplier)
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.email = (contact.email or "").strip().lower()
    save_validated(contact, actor=actor, reason="saved")
    return contact

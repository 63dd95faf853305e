"""Writes for suppliers: one function per action, whatever the door."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from core.errors import DomainError
from core.services import save_validated

from .models import Supplier, SupplierContact

SUPPLIER_FIELDS = frozenset(
    {
        "name", "local_name", "country", "uscc", "contact_name", "contact_email", "phone", "active", "notes",
        "portal_apply_reports",
        "external_ref",
    }
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
    supplier.uscc = supplier.uscc.upper()
    supplier.country = supplier.country.upper()
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

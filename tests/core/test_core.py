"""core: roles, domain errors and the ERP-key constraint every syncable model shares."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from core.errors import ConflictError, DomainError, field_error
from core.roles import Role, assign_role, has_role, user_role
from suppliers.models import Supplier


def test_roles_include_the_ones_below(viewer, procurement, compliance, admin_user, outsider):
    assert [has_role(compliance, role) for role in Role] == [True, True, True, False]
    assert [has_role(procurement, role) for role in Role] == [True, True, False, False]
    assert [has_role(viewer, role) for role in Role] == [True, False, False, False]
    assert all(has_role(admin_user, role) for role in Role)
    assert not any(has_role(outsider, role) for role in Role)
    assert user_role(AnonymousUser()) is None


def test_an_inactive_user_holds_no_role(compliance):
    compliance.is_active = False
    assert user_role(compliance) is None


def test_assign_role_replaces_the_previous_one(procurement):
    assign_role(procurement, Role.VIEWER)
    assert user_role(procurement) == Role.VIEWER
    assert list(procurement.groups.values_list("name", flat=True)) == ["viewer"]


def test_domain_errors_carry_their_http_status_and_field():
    error = field_error("lines[0].quantity", "Too much.", code="overdraw", cls=ConflictError)
    assert isinstance(error, DomainError) and error.status_code == 409
    assert error.message_dict == {"lines[0].quantity": ["Too much."]}
    assert error.error_dict["lines[0].quantity"][0].code == "overdraw"
    assert field_error("on", "Bad.").status_code == 400


def test_an_erp_key_is_unique_when_set_and_blank_may_repeat(db):
    Supplier.objects.create(name="A")
    Supplier.objects.create(name="B")  # two blank external_refs are fine
    Supplier.objects.create(name="C", external_ref="SAP-100")
    with pytest.raises(IntegrityError), transaction.atomic():
        Supplier.objects.create(name="D", external_ref="SAP-100")

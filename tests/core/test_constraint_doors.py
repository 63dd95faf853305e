"""Every database constraint reads in plain words beside its field, whatever the door: full_clean
(forms, services, the import) and an IntegrityError from the database itself (a race, a bulk write)."""

import datetime as dt

import pytest
from django.apps import apps
from django.db import IntegrityError, models, transaction

from core.api.exceptions import exception_handler
from core.errors import CONSTRAINT_FIELDS, CONSTRAINT_MESSAGES, DomainError, integrity_error
from core.services import save_validated
from shipments.models import Shipment
from tests.factories import ShipmentFactory, SupplierFactory

pytestmark = pytest.mark.django_db
D = dt.date
# Bookkeeping tables written only by the code itself (ignore_conflicts, claimed keys): no person sees them.
INTERNAL = {"notifications", "core"}


def test_every_constraint_has_a_plain_message_and_a_field():
    for model in apps.get_models():
        if model._meta.app_label in INTERNAL or model.__name__.startswith("Historical"):
            continue
        for constraint in model._meta.constraints:
            if isinstance(constraint, (models.CheckConstraint, models.UniqueConstraint)):
                name = constraint.name
                assert CONSTRAINT_FIELDS.get(name), name
                assert constraint.violation_error_message == CONSTRAINT_MESSAGES[name], name
                assert name not in CONSTRAINT_MESSAGES[name] and "Constraint" not in CONSTRAINT_MESSAGES[name]


def _refused(write) -> IntegrityError:
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        write()
    return exc.value


def test_a_check_refused_by_the_database_is_a_field_error_in_words():
    ship = ShipmentFactory()
    exc = _refused(
        lambda: Shipment.objects.filter(pk=ship.pk).update(planned_ship_date=D(2026, 2, 1), eta=D(2026, 1, 1))
    )
    error = integrity_error(exc)
    assert error.status_code == 400
    assert error.message_dict == {"eta": ["The ETA cannot be before the planned ship date (ETD)."]}
    response = exception_handler(exc, {})
    assert response.status_code == 400
    assert response.data["errors"][0]["attr"] == "eta"
    assert "shipment_eta_after_etd" not in str(response.data)


def test_a_duplicate_key_refused_by_the_database_answers_409_naming_the_field():
    ShipmentFactory(external_ref="ERP-1")
    other = ShipmentFactory()
    exc = _refused(lambda: Shipment.objects.filter(pk=other.pk).update(external_ref="ERP-1"))
    response = exception_handler(exc, {})
    assert response.status_code == 409
    [entry] = response.data["errors"]
    assert entry["attr"] == "external_ref" and "external reference" in entry["detail"]
    assert "shipment_unique_external_ref" not in str(response.data)


def test_a_race_past_full_clean_is_a_domain_error_not_a_500():
    """Two requests check the same ERP key, then both save: the second reads the field's message."""
    supplier = SupplierFactory()
    ShipmentFactory(external_ref="ERP-2", supplier=supplier)
    late = Shipment(supplier=supplier, reference="BL-9", external_ref="ERP-2")
    late.validate_constraints = lambda *a, **k: None  # the check ran before the other request committed
    with pytest.raises(DomainError) as exc, transaction.atomic():
        save_validated(late)
    assert exc.value.message_dict["external_ref"] == [
        "Another record has this external reference (your ERP's key) already."
    ]


def test_a_duplicate_erp_key_through_full_clean_is_beside_its_field():
    ShipmentFactory(external_ref="ERP-3")
    with pytest.raises(DomainError) as exc:
        save_validated(Shipment(supplier=SupplierFactory(), reference="BL-3", external_ref="ERP-3"))
    assert list(exc.value.message_dict) == ["external_ref"]
    assert "Constraint" not in str(exc.value)


def test_the_import_reports_a_write_the_database_refused_as_a_row_error_in_words():
    from core.spreadsheets import ImportResult, Row, RowError, column_for_key, run_import

    ship = ShipmentFactory()
    rows = [Row(2, {"reference": ship.reference, "planned_ship_date": "2026-02-01", "eta": "2026-01-01"})]

    def call():
        Shipment.objects.filter(pk=ship.pk).update(planned_ship_date=D(2026, 2, 1), eta=D(2026, 1, 1))

    result = run_import([(rows, call)], commit=True, column_for=column_for_key, result=ImportResult(rows=rows))
    assert result.errors == [RowError(2, "eta", CONSTRAINT_MESSAGES["shipment_eta_after_etd"])]
    assert not result.committed
    ship.refresh_from_db()
    assert ship.eta != D(2026, 1, 1)

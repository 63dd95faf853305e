"""Suppliers (USCC validation), purchase orders and customs holds."""

import datetime as dt

import pytest

from core.errors import DomainError
from licensing import services as licensing_services
from shipments import selectors, services
from suppliers import services as supplier_services
from suppliers.models import Supplier, uscc_check_character, validate_uscc

D = dt.date
VALID_USCC = "91350100M000100Y43"  # a published example code with a correct check character


def _uscc(first17: str) -> str:
    return first17 + uscc_check_character(first17)


def test_the_check_character_of_a_known_code():
    assert uscc_check_character(VALID_USCC[:17]) == VALID_USCC[17]
    validate_uscc(VALID_USCC)
    validate_uscc(VALID_USCC.lower())  # stored upper-case, accepted either way


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100Y44", "check character"),
        ("91350100M0001O0Y43", "not allowed"),  # the letter O is not in the alphabet
        ("91350100M0001I0Y43", "not allowed"),
    ],
)
def test_a_bad_uscc_is_refused_saying_why(db, code, message):
    with pytest.raises(DomainError) as exc:
        supplier_services.supplier_save(name="Xiamen Tungsten", uscc=code)
    assert message in exc.value.message_dict["uscc"][0]
    assert not Supplier.objects.exists()


def test_a_supplier_is_saved_with_its_code_upper_case(procurement):
    code = _uscc("91150200MA0N1KJ0X")
    supplier = supplier_services.supplier_save(
        name="Baotou Jinshan Magnet", local_name="包头金山磁材有限公司", uscc=code.lower(), country="CN",
        actor=procurement,
    )
    assert (supplier.uscc, supplier.country) == (code, "CN")
    assert supplier.history.get().history_user == procurement


def test_unknown_supplier_fields_are_refused(db):
    with pytest.raises(DomainError) as exc:
        supplier_services.supplier_save(name="X", rating=5)
    assert "rating" in exc.value.message_dict


def test_a_purchase_order_needs_its_dates_in_order(db, dy):
    supplier = supplier_services.supplier_save(name="Ganzhou Yiyuan")
    with pytest.raises(DomainError) as exc:
        services.purchase_order_save(
            number="PO-1", supplier=supplier, order_date=D(2025, 9, 1), needed_by=D(2025, 8, 1)
        )
    assert "needed_by" in exc.value.message_dict
    po = services.purchase_order_save(
        number="PO-1", supplier=supplier, order_date=D(2025, 9, 1), needed_by=D(2026, 1, 15),
        lines=[{"item": dy, "quantity": "200", "unit": "kg", "unit_price": "310.50", "currency": "USD"}],
    )
    services.purchase_order_save(purchase_order=po, lines=[{"item": dy, "quantity": "250", "unit": "kg"}])
    assert list(po.lines.values_list("quantity", flat=True)) == [250]


def test_the_customs_response_is_due_seven_chinese_working_days_after_the_hold(db):
    # Held Monday 29 Sep 2025: 30 Sep, then National Day week off, 9, 10, 11 (make-up
    # Saturday), 13, 14 and 15 Oct.
    assert services.customs_response_due(D(2025, 9, 29)) == D(2025, 10, 15)
    assert services.customs_response_due(D(2025, 11, 3)) == D(2025, 11, 12)
    assert services.customs_response_due(None) is None


def test_a_held_shipment_stores_its_response_date_and_needs_the_hold_date(supplier, licence, dy, frozen_today):
    lines = [{"item": dy, "quantity": "10", "unit": "kg"}]
    with pytest.raises(DomainError) as exc:
        services.shipment_save(supplier=supplier, licence=licence, reference="BL-H", status="held", lines=lines)
    assert exc.value.error_dict["held_on"][0].code == "required"
    shipment = services.shipment_save(
        supplier=supplier, licence=licence, reference="BL-H", status="held", held_on=D(2025, 11, 26), lines=lines,
        planned_ship_date=D(2025, 11, 20),
    )
    assert shipment.customs_response_due == D(2025, 12, 5)
    assert list(selectors.shipments_held()) == [shipment]


def test_a_calendar_override_moves_held_shipments_windows(
    supplier, licence, dy, compliance, frozen_today, django_capture_on_commit_callbacks
):
    shipment = services.shipment_save(
        supplier=supplier, licence=licence, reference="BL-H", status="held", held_on=D(2025, 11, 26),
        planned_ship_date=D(2025, 11, 20), lines=[{"item": dy, "quantity": "10", "unit": "kg"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        licensing_services.calendar_override_save(date=D(2025, 12, 1), kind="day_off", actor=compliance)
    shipment.refresh_from_db()
    assert shipment.customs_response_due == D(2025, 12, 8)


def test_the_refresh_repairs_a_missed_window_and_is_idempotent(supplier, licence, dy, frozen_today):
    shipment = services.shipment_save(
        supplier=supplier, licence=licence, reference="BL-H", status="held", held_on=D(2025, 11, 26),
        planned_ship_date=D(2025, 11, 20), lines=[{"item": dy, "quantity": "10", "unit": "kg"}],
    )
    type(shipment).objects.filter(pk=shipment.pk).update(customs_response_due=D(2025, 1, 1))
    assert services.shipments_refresh_customs_due() == 1
    assert services.shipments_refresh_customs_due() == 0
    shipment.refresh_from_db()
    assert shipment.customs_response_due == D(2025, 12, 5)

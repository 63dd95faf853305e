"""Licence drawdown (docs/architecture.md#drawdown): balances computed from shipments, over-draws refused or forced."""

import datetime as dt
from decimal import Decimal

import pytest

from core.errors import ConflictError, DomainError
from licensing.models import Licence, LicenceLine, LicenceStatus
from shipments import selectors, services
from shipments.models import Shipment, ShipmentStatus
from tests.factories import SupplierFactory

D = dt.date


def ship(supplier, licence, lines, *, status="planned", actor=None, **fields):
    fields.setdefault("reference", f"BL-{Shipment.objects.count() + 1:04d}")
    fields.setdefault("planned_ship_date", D(2025, 12, 10))
    return services.shipment_save(
        supplier=supplier, licence=licence, status=status, actor=actor,
        lines=[{"item": item, "quantity": qty, "unit": unit} for item, qty, unit in lines], **fields,
    )


def balances(licence):
    rows = selectors.licence_lines_with_drawdown(LicenceLine.objects.filter(licence=licence)).select_related("item")
    return {
        line.item.code: (line.reserved_quantity, line.used_quantity, line.drawn_quantity, line.balance) for line in rows
    }


def test_planned_and_booked_reserve_shipped_statuses_use(supplier, licence, dy, frozen_today):
    ship(supplier, licence, [(dy, "100", "kg")], status="planned")
    ship(supplier, licence, [(dy, "50", "kg")], status="booked")
    for status in ("in_transit", "at_customs", "delivered"):
        ship(supplier, licence, [(dy, "10", "kg")], status=status)
    ship(supplier, licence, [(dy, "5", "kg")], status="held", held_on=D(2025, 11, 28))

    reserved, used, drawn, balance = balances(licence)["DY"]
    assert (reserved, used, drawn, balance) == (150, 35, 185, 815)


def test_cancelled_shipments_do_not_count(supplier, licence, dy, frozen_today):
    shipment = ship(supplier, licence, [(dy, "600", "kg")])
    services.shipment_save(shipment=shipment, status=ShipmentStatus.CANCELLED)
    assert balances(licence)["DY"] == (0, 0, 0, 1000)
    # ... and a cancelled shipment can take what it likes: it draws nothing.
    services.shipment_save(shipment=shipment, lines=[{"item": dy, "quantity": "5000", "unit": "kg"}])
    assert balances(licence)["DY"][3] == 1000


def test_a_balance_follows_the_shipment_changes_never_a_running_total(supplier, licence, dy, frozen_today):
    shipment = ship(supplier, licence, [(dy, "300", "kg")])
    services.shipment_save(shipment=shipment, lines=[{"item": dy, "quantity": "200", "unit": "kg"}])
    services.shipment_save(shipment=shipment, status="in_transit", actual_ship_date=D(2025, 11, 30))
    assert balances(licence)["DY"] == (0, 200, 200, 800)
    services.shipment_delete(shipment=shipment)
    assert balances(licence)["DY"] == (0, 0, 0, 1000)


def test_kilograms_and_tonnes_convert(supplier, licence, dy, tb, frozen_today):
    ship(supplier, licence, [(tb, "500", "kg"), (dy, "0.25", "t")])
    by_item = balances(licence)
    assert by_item["TB"][3] == Decimal("1.5")  # the line counts in tonnes: 2 t - 500 kg
    assert by_item["DY"][3] == 750


def test_pieces_and_mass_never_mix(supplier, make_licence, magnets, frozen_today):
    licence = make_licence("LIC-PCS", [(magnets, "10000", "pcs")])
    with pytest.raises(DomainError) as exc:
        ship(supplier, licence, [(magnets, "20", "kg")])
    assert exc.value.error_dict["lines[0].unit"][0].code == "unit_mismatch"
    assert "LIC-PCS" in exc.value.message_dict["lines[0].unit"][0]
    ship(supplier, licence, [(magnets, "2500", "pcs")])
    assert balances(licence)["NDFEB-DY"][3] == 7500


def test_an_over_draw_is_refused_naming_licence_item_balance_and_amount(supplier, licence, dy, frozen_today):
    ship(supplier, licence, [(dy, "900", "kg")])
    with pytest.raises(ConflictError) as exc:
        ship(supplier, licence, [(dy, "150", "kg")], reference="BL-OVER")
    error = exc.value.error_dict["lines[0].quantity"][0]
    assert error.code == "overdraw"
    assert error.message == "Licence LIC-2025-001 has 100 kg of DY left; this shipment asks for 150 kg."
    assert not Shipment.objects.filter(reference="BL-OVER").exists()


def test_two_lines_of_one_item_are_added_up(supplier, licence, dy, frozen_today):
    with pytest.raises(ConflictError) as exc:
        ship(supplier, licence, [(dy, "600", "kg"), (dy, "0.5", "t")])
    assert "asks for 1100 kg" in exc.value.message_dict["lines[1].quantity"][0]


def test_a_status_change_back_from_cancelled_is_checked_again(supplier, licence, dy, frozen_today):
    first = ship(supplier, licence, [(dy, "700", "kg")])
    services.shipment_save(shipment=first, status="cancelled")
    ship(supplier, licence, [(dy, "700", "kg")])
    with pytest.raises(ConflictError):
        services.shipment_save(shipment=first, status="planned")
    assert Shipment.objects.get(pk=first.pk).status == ShipmentStatus.CANCELLED


def test_an_item_not_on_the_licence_is_refused(supplier, make_licence, dy, tb, frozen_today):
    licence = make_licence("LIC-DY", [(dy, "10", "kg")])
    with pytest.raises(ConflictError) as exc:
        ship(supplier, licence, [(tb, "1", "kg")])
    assert "has no line for item TB" in exc.value.message_dict["lines[0].item"][0]


def test_a_licence_of_another_supplier_or_revoked_is_refused(supplier, licence, dy, frozen_today):
    with pytest.raises(DomainError) as exc:
        ship(SupplierFactory(), licence, [(dy, "1", "kg")])
    assert exc.value.error_dict["licence"][0].code == "wrong_supplier"
    Licence.objects.filter(pk=licence.pk).update(status=LicenceStatus.REVOKED)
    licence.refresh_from_db()
    with pytest.raises(ConflictError):
        ship(supplier, licence, [(dy, "1", "kg")])


def test_compliance_may_force_an_over_draw_with_a_note(supplier, licence, dy, compliance, frozen_today):
    shipment = ship(supplier, licence, [(dy, "1200", "kg")], actor=compliance, force=True,
                    override_note="MOFCOM amendment filed, confirmed by phone")
    shipment.refresh_from_db()
    assert shipment.overdraw_override and shipment.override_by == compliance
    assert shipment.override_note == "MOFCOM amendment filed, confirmed by phone"
    assert balances(licence)["DY"][3] == -200
    history = shipment.history.first()
    assert (history.history_user, history.history_change_reason) == (compliance, "over-draw forced")
    # The recorded override keeps holding while the licence and lines stay the same.
    services.shipment_save(shipment=shipment, status="booked", actor=compliance)
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.BOOKED


def test_procurement_cannot_force_an_over_draw(supplier, licence, dy, procurement, frozen_today):
    with pytest.raises(DomainError) as exc:
        ship(supplier, licence, [(dy, "1200", "kg")], actor=procurement, force=True, override_note="urgent")
    assert exc.value.error_dict["force"][0].code == "permission"
    assert not Shipment.objects.exists()


def test_an_override_needs_a_note(supplier, licence, dy, compliance, frozen_today):
    with pytest.raises(DomainError) as exc:
        ship(supplier, licence, [(dy, "1200", "kg")], actor=compliance, force=True, override_note="  ")
    assert "override_note" in exc.value.message_dict


def test_the_licence_becomes_exhausted_and_active_again(supplier, make_licence, dy, frozen_today):
    licence = make_licence("LIC-SMALL", [(dy, "100", "kg")])
    shipment = ship(supplier, licence, [(dy, "100", "kg")])
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.EXHAUSTED
    services.shipment_save(shipment=shipment, status="cancelled")
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.ACTIVE


def test_an_expired_licence_stays_expired(supplier, make_licence, dy, frozen_today):
    licence = make_licence("LIC-OLD", [(dy, "100", "kg")], valid_from=D(2024, 6, 1), valid_until=D(2025, 5, 31))
    # Shipped while the licence was valid: recorded afterwards without a refusal.
    ship(supplier, licence, [(dy, "100", "kg")], planned_ship_date=D(2025, 5, 1), eta=D(2025, 6, 1),
         actual_ship_date=D(2025, 5, 1), status="in_transit")
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.EXPIRED


def test_the_suggestion_is_the_licence_expiring_soonest_with_balance(supplier, make_licence, dy, tb, frozen_today):
    later = make_licence("LIC-LATER", [(dy, "1000", "kg"), (tb, "1", "t")], valid_until=D(2026, 9, 30))
    sooner = make_licence("LIC-SOONER", [(dy, "1000", "kg"), (tb, "1", "t")], valid_until=D(2026, 1, 31))
    make_licence("LIC-NO-TB", [(dy, "5000", "kg")], valid_until=D(2025, 12, 31))
    make_licence("LIC-OTHER", [(dy, "5000", "kg"), (tb, "5", "t")], valid_until=D(2025, 12, 20),
                 supplier=SupplierFactory())
    lines = [{"item": dy, "quantity": "500", "unit": "kg"}, {"item": tb, "quantity": "200", "unit": "kg"}]

    def suggest(on=None, wanted=lines):
        on = on or D(2025, 12, 10)
        return selectors.licence_suggestion(supplier_id=supplier.pk, lines=wanted, ship_date=on)

    assert suggest() == sooner
    ship(supplier, sooner, [(dy, "600", "kg")])
    assert suggest() == later  # the sooner one has too little Dy left now
    assert suggest(on=D(2026, 3, 1), wanted=lines[:1]) == later  # the sooner one is no longer valid then
    assert suggest(wanted=[{"item": dy, "quantity": "3", "unit": "t"}]) is not None  # LIC-NO-TB has 5 t of Dy
    assert suggest(wanted=[{"item": dy, "quantity": "6", "unit": "t"}]) is None


def test_a_new_shipment_gets_a_suggestion_and_with_the_setting_an_assignment(
    supplier, licence, dy, settings, frozen_today
):
    settings.AUTO_ASSIGN_LICENCE = False
    suggested = ship(supplier, None, [(dy, "10", "kg")])
    assert suggested.licence is None and suggested.suggested_licence == licence
    settings.AUTO_ASSIGN_LICENCE = True
    services_call = services.shipment_save(
        supplier=supplier, reference="BL-AUTO", planned_ship_date=D(2025, 12, 10),
        lines=[{"item": dy, "quantity": "10", "unit": "kg"}],
    )
    assert services_call.licence == licence


def test_ships_after_expiry(supplier, licence, dy, frozen_today):
    on_time = ship(supplier, licence, [(dy, "10", "kg")], planned_ship_date=D(2026, 5, 31))
    late = ship(supplier, licence, [(dy, "10", "kg")], planned_ship_date=D(2026, 6, 1))
    unassigned = ship(supplier, None, [(dy, "10", "kg")], planned_ship_date=D(2027, 1, 1))
    assert (on_time.ships_after_expiry, late.ships_after_expiry, unassigned.ships_after_expiry) == (False, True, False)
    assert list(selectors.shipments_after_expiry()) == [late]


def test_late_shipments_are_the_undelivered_ones_past_their_eta(supplier, licence, dy, frozen_today):
    late = ship(supplier, licence, [(dy, "1", "kg")], status="in_transit", planned_ship_date=D(2025, 10, 1),
                eta=D(2025, 11, 20))
    ship(supplier, licence, [(dy, "1", "kg")], status="delivered", planned_ship_date=D(2025, 10, 1),
         eta=D(2025, 11, 20), arrived_on=D(2025, 11, 19))
    ship(supplier, licence, [(dy, "1", "kg")], status="cancelled", planned_ship_date=D(2025, 10, 1),
         eta=D(2025, 11, 20))
    ship(supplier, licence, [(dy, "1", "kg")], status="booked", eta=D(2025, 12, 20))
    assert list(selectors.shipments_late(D(2025, 12, 1))) == [late]


def test_drawdown_of_a_page_of_lines_is_one_query(supplier, make_licence, dy, tb, frozen_today,
                                                 django_assert_num_queries):
    for n in range(5):
        licence = make_licence(f"LIC-{n}", [(dy, "100", "kg"), (tb, "1", "t")])
        ship(supplier, licence, [(dy, "10", "kg"), (tb, "10", "kg")])
    with django_assert_num_queries(1):
        rows = list(selectors.licence_lines_with_drawdown())
    assert len(rows) == 10 and {row.balance for row in rows} == {Decimal(90), Decimal("0.99")}
    with django_assert_num_queries(2):
        licences = list(selectors.licences_with_lines())
        assert sum(len(lic.lines.all()) for lic in licences) == 10


def test_an_expired_licence_is_refused_unless_compliance_forces_it_with_a_note(
    supplier, make_licence, dy, procurement, compliance, frozen_today
):
    old = make_licence("LIC-OLD", [(dy, "100", "kg")], valid_from=D(2024, 6, 1), valid_until=D(2025, 5, 31))
    with pytest.raises(ConflictError) as exc:
        ship(supplier, old, [(dy, "10", "kg")], actor=procurement)
    assert exc.value.message_dict == {"licence": ["Licence LIC-OLD expired on 2025-05-31."]}
    with pytest.raises(DomainError) as exc:
        ship(supplier, old, [(dy, "10", "kg")], actor=procurement, force=True, override_note="MOFCOM extended it")
    assert "force" in exc.value.message_dict  # compliance only
    shipment = ship(supplier, old, [(dy, "10", "kg")], actor=compliance, force=True, override_note="Extended")
    assert (shipment.overdraw_override, shipment.override_note, shipment.override_by) == (True, "Extended", compliance)
    # The forced refusal survives an edit that keeps the licence and the lines.
    services.shipment_save(shipment=shipment, notes="booked with the carrier", actor=procurement,
                           lines=[{"item": dy, "quantity": Decimal("10"), "unit": "kg"}])


def test_a_shipment_planned_after_its_valid_licence_ends_is_saved_with_a_warning(
    supplier, make_licence, dy, frozen_today
):
    licence = make_licence("LIC-SHORT", [(dy, "100", "kg")], valid_until=D(2025, 12, 31))
    shipment = ship(supplier, licence, [(dy, "10", "kg")], planned_ship_date=D(2026, 1, 15))
    assert shipment.pk and shipment.warnings == [
        "The shipment is planned to ship on 2026-01-15, after licence LIC-SHORT ends (2025-12-31): "
        "ship earlier or assign another licence."
    ]
    assert ship(supplier, licence, [(dy, "10", "kg")], planned_ship_date=D(2025, 12, 15)).warnings == []

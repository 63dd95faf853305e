"""A database rule broken in a form reads in plain words beside the field, in a real browser:
never a constraint's name, never at the top of the form, and nothing is saved."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.errors import CONSTRAINT_MESSAGES
from core.models import EXTERNAL_REF_TAKEN

from .conftest import login

pytestmark = [pytest.mark.browser]


def _field_error(page, field_id: str):
    """The error list of the form field whose input is ``#field_id``."""
    return page.locator(f".field:has(#{field_id}) .errorlist")


def _assert_no_constraint_named(page) -> None:
    html = page.content()
    assert "Constraint" not in html and "constraint" not in page.inner_text("body").lower()
    named = [name for name in CONSTRAINT_MESSAGES if name in html]
    assert named == [], named
    expect(page.locator(".form-errors")).to_have_count(0)  # beside the field, not above the form


def _first_line(page, item: str, quantity_field: str, quantity: str) -> None:
    page.select_option("#id_lines-0-item", label=item)
    page.fill(f"#id_lines-0-{quantity_field}", quantity)


def test_a_shipment_arriving_before_it_ships_is_an_eta_error_in_words(page, world):
    from shipments.models import Shipment
    from shipments.services import SHIPMENT_ETA_MESSAGE

    login(page, "pat")
    page.goto("/shipments/new/")
    page.fill("#id_reference", "BL-ETA-0001")
    page.select_option("#id_supplier", label="Baotou Rare Earth Magnet Co.")
    page.fill("#id_planned_ship_date", "2026-01-10")
    page.fill("#id_eta", "2026-01-05")
    _first_line(page, "DY2O3 – Dysprosium oxide", "quantity", "10")
    page.click("text=Save shipment")
    expect(_field_error(page, "id_eta")).to_have_text(SHIPMENT_ETA_MESSAGE)
    # One message whatever the door: the form's is the database constraint's own.
    assert SHIPMENT_ETA_MESSAGE == CONSTRAINT_MESSAGES["shipment_eta_after_etd"]
    _assert_no_constraint_named(page)
    assert not Shipment.objects.filter(reference="BL-ETA-0001").exists()


def test_a_licence_ending_before_it_starts_is_a_valid_until_error_in_words(page, world):
    from licensing.models import Licence

    login(page, "pat")
    page.goto("/licences/new/")
    page.fill("#id_number", "LIC-2026-BACKWARDS")
    page.select_option("#id_supplier", label="Baotou Rare Earth Magnet Co.")
    page.fill("#id_valid_from", "2026-02-01")
    page.fill("#id_valid_until", "2026-01-01")
    _first_line(page, "DY2O3 – Dysprosium oxide", "approved_quantity", "100")
    page.click("text=Save licence")
    expect(_field_error(page, "id_valid_until")).to_have_text(CONSTRAINT_MESSAGES["licence_valid_range"])
    _assert_no_constraint_named(page)
    assert not Licence.objects.filter(number="LIC-2026-BACKWARDS").exists()

    licence = world.licences["long"]
    page.goto(f"/licences/{licence.pk}/edit/")
    page.fill("#id_valid_until", "2025-08-01")  # before its valid_from, 12 Aug 2025
    page.click("text=Save licence")
    expect(_field_error(page, "id_valid_until")).to_have_text(CONSTRAINT_MESSAGES["licence_valid_range"])
    _assert_no_constraint_named(page)
    licence.refresh_from_db()
    assert licence.valid_until.isoformat() == "2026-08-11"


def test_an_application_with_another_records_erp_key_is_an_external_ref_error_in_words(page, world):
    from licensing.models import LicenceApplication

    taken = world.apps["due"].external_ref  # SAP-4711
    login(page, "pat")
    page.goto("/applications/new/")
    page.select_option("#id_supplier", label="Baotou Rare Earth Magnet Co.")
    page.fill("#id_end_user", "Motorenwerk Nord GmbH")
    page.fill("#id_end_use", "Wind turbine generators")
    page.fill("#id_destination_country", "DE")
    page.fill("#id_external_ref", taken)
    _first_line(page, "DY2O3 – Dysprosium oxide", "quantity", "250")
    page.click("text=Create draft")
    expect(_field_error(page, "id_external_ref")).to_have_text(EXTERNAL_REF_TAKEN)
    _assert_no_constraint_named(page)
    assert LicenceApplication.objects.filter(external_ref=taken).count() == 1
    assert not LicenceApplication.objects.filter(end_user="Motorenwerk Nord GmbH").exists()

    draft = world.apps["draft"]
    page.goto(f"/applications/{draft.pk}/edit/")
    page.fill("#id_external_ref", taken)
    page.click("button:has-text('Save')")
    expect(_field_error(page, "id_external_ref")).to_have_text(EXTERNAL_REF_TAKEN)
    _assert_no_constraint_named(page)
    draft.refresh_from_db()
    assert draft.external_ref == ""

"""Two first-hour findings in a real browser: a shipment on a licence that has expired is
refused on the spot, beside the licence, unless compliance forces it with a note; and an import
reads only ISO dates, shows the dates it read, and names the cell of any other date."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from .conftest import login

pytestmark = [pytest.mark.browser]


def _expired_licence(world):
    from licensing import services as ls

    return ls.licence_create(
        number="LIC-2025-0301",
        supplier=world.suppliers["baotou"],
        valid_from="2025-03-01",
        valid_until="2025-10-31",  # a month before the world's today, 1 December 2025
        lines=[{"item": world.items["DY2O3"], "approved_quantity": Decimal("900"), "unit": "kg"}],
    )


def _new_shipment(page, reference: str, licence) -> None:
    page.goto("/shipments/new/")
    page.fill("#id_reference", reference)
    page.select_option("#id_supplier", label="Baotou Rare Earth Magnet Co.")
    page.select_option("#id_licence", value=str(licence.pk))
    page.fill("#id_planned_ship_date", "2025-12-15")
    page.fill("#id_eta", "2026-01-20")
    page.select_option("#id_lines-0-item", label="DY2O3 – Dysprosium oxide")
    page.fill("#id_lines-0-quantity", "50")


def test_a_shipment_on_an_expired_licence_is_refused_beside_the_licence_unless_compliance_forces_it(page, world):
    from shipments.models import Shipment

    licence = _expired_licence(world)
    login(page, "pat")
    _new_shipment(page, "BL-EXP-0001", licence)
    page.click("text=Save shipment")
    error = page.locator(".field:has(#id_licence) .errorlist")
    expect(error).to_have_text("Licence LIC-2025-0301 expired on 2025-10-31.")
    expect(page.locator("#id_force")).to_have_count(0)  # procurement cannot force it
    assert not Shipment.objects.filter(reference="BL-EXP-0001").exists()

    page.context.clear_cookies()
    login(page, "chen")
    _new_shipment(page, "BL-EXP-0001", licence)
    page.check("#id_force")
    page.click("text=Save shipment")
    expect(page.locator(".field:has(#id_override_note) .errorlist")).to_contain_text("Say why")
    assert not Shipment.objects.filter(reference="BL-EXP-0001").exists()
    page.check("#id_force")
    page.fill("#id_override_note", "MOFCOM extension letter of 28 Oct 2025")
    page.click("text=Save shipment")
    expect(page.locator("h1")).to_contain_text("BL-EXP-0001")
    shipment = Shipment.objects.get(reference="BL-EXP-0001")
    assert shipment.licence_id == licence.pk and shipment.overdraw_override
    assert shipment.override_note == "MOFCOM extension letter of 28 Oct 2025"


def test_an_import_shows_the_dates_it_read_and_names_a_date_that_is_not_iso(page, world, tmp_path):
    from core.parsing import DATE_MESSAGE
    from shipments.models import Shipment

    login(page, "pat")
    header = "reference,supplier,item,quantity,unit,licence,planned_ship_date,eta\n"
    row = "BL-DATE-1,Baotou Rare Earth Magnet Co.,DY2O3,100,kg,LIC-2025-0812,{ships},2026-01-20\n"
    ambiguous = tmp_path / "ambiguous.csv"
    ambiguous.write_text(header + row.format(ships="03/12/2025"))  # 3 December or 12 March?
    page.goto("/shipments/import/")
    page.set_input_files("input[type=file]", str(ambiguous))
    page.click("button:has-text('Preview')")
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(1)
    assert errors.first.inner_text().split("\t")[:2] == ["2", "planned_ship_date"]
    expect(errors.first).to_contain_text(DATE_MESSAGE)
    expect(page.locator("text=Commit import")).to_have_count(0)

    iso = tmp_path / "iso.csv"
    iso.write_text(header + row.format(ships="2025-12-03"))
    page.set_input_files("input[type=file]", str(iso))
    page.click("button:has-text('Preview')")
    expect(page.locator("body")).to_contain_text("ships 2025-12-03")
    expect(page.locator("body")).to_contain_text("ETA 2026-01-20")
    page.click("text=Commit import")
    page.wait_for_url("**/shipments/")
    assert Shipment.objects.get(reference="BL-DATE-1").planned_ship_date.isoformat() == "2025-12-03"

"""The UI in a real browser: log in, dashboard, filters, workflow, upload, import, export."""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from licensing.models import Document, LicenceApplication
from shipments.models import Shipment

from .conftest import login, screenshot

pytestmark = [pytest.mark.browser]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_it_logs_in_shows_the_dashboard_and_filters_applications(page, world):
    page.goto("/applications/")
    assert "/accounts/login/" in page.url  # anonymous: the login form first
    login(page, "pat")
    assert page.get_by_role("heading", name="Good").count() == 1 or page.locator("h1").first.is_visible()
    overdue_card = page.locator("a.stat", has_text="Overdue decisions")
    assert overdue_card.locator(".value").inner_text() == "1"
    assert page.get_by_text(world.apps["overdue"].reference).first.is_visible()
    screenshot(page, "dashboard.png")

    overdue_card.click()
    page.wait_for_url("**/applications/?overdue=on")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 1 and world.apps["overdue"].reference in rows.first.inner_text()

    page.goto("/applications/")
    page.select_option("#id_status", "accepted")  # htmx swaps the results and pushes the URL
    page.wait_for_url("**status=accepted**")
    page.wait_for_function("document.querySelectorAll('#results tbody tr').length === 2")
    text = page.locator("#results tbody").inner_text()
    assert world.apps["due"].reference in text and world.apps["overdue"].reference in text
    assert world.apps["draft"].reference not in text


def test_it_moves_an_application_through_its_workflow_and_uploads_a_document(page, world):
    login(page, "pat")
    app = world.apps["due"]
    page.goto(f"/applications/{app.pk}/")
    assert "Thu 4 Dec 2025" in page.locator(".clock").inner_text()  # docs/architecture.md#clock example
    screenshot(page, "application.png")

    options = page.locator("#id_to option").all_inner_texts()
    assert options == ["Supplement requested", "Approved", "Rejected", "Withdrawn"]  # only allowed moves
    page.select_option("#id_to", "supplement_requested")
    page.fill("#id_on", "2025-11-27")
    page.fill("#id_note", "MOFCOM asks for the end-user's production licence")
    page.click("text=Record step")
    page.wait_for_selector("text=Clock paused")
    page.select_option("#id_to", "accepted")
    page.fill("#id_on", "2025-11-28")
    page.click("text=Record step")
    page.wait_for_selector("#id_to option[value=approved]", state="attached")
    page.select_option("#id_to", "approved")
    page.fill("#id_on", "2025-12-01")
    page.fill("#id_licence-number", "LIC-2025-1201")
    page.fill("#id_licence-valid_from", "2025-12-01")
    page.fill("#id_licence-valid_until", "2026-11-30")
    page.click("text=Record step")
    page.wait_for_selector("h1 >> text=Approved")
    app.refresh_from_db()
    assert app.status == "approved" and app.licences.get().number == "LIC-2025-1201"
    assert page.locator(".timeline li").count() == 5
    page.wait_for_selector("text=Drawdown by shipment")  # the licence's drawdown, loaded by htmx

    page.set_input_files(
        "#documents input[type=file]",
        files=[{"name": "not-a-pdf.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00 exe"}],
    )
    page.click("#documents button[type=submit]")
    page.wait_for_selector("text=Only PDF and image files")
    page.select_option("#documents select[name=kind]", "end_user_certificate")
    page.set_input_files(
        "#documents input[type=file]",
        files=[{"name": "EUC Motorenwerk.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.click("#documents button[type=submit]")
    page.wait_for_selector("#documents a:has-text('EUC Motorenwerk.pdf')")
    assert Document.objects.filter(application=app, content_type="application/pdf").count() == 1
    with page.expect_download() as download:
        page.click("#documents a:has-text('EUC Motorenwerk.pdf')")
    with open(download.value.path(), "rb") as fh:
        assert fh.read() == PDF


def test_it_imports_a_shipment_file_with_an_error_then_without(page, world, tmp_path):
    login(page, "pat")
    header = "reference,supplier,item,quantity,unit,licence,planned_ship_date,eta\n"
    bad = tmp_path / "shipments.csv"
    bad.write_text(
        header + "BL-NEW-1,Baotou Rare Earth Magnet Co.,DY2O3,100,kg,LIC-2025-0812,2025-12-10,2026-01-20\n"
        "BL-NEW-2,Baotou Rare Earth Magnet Co.,XX-UNKNOWN,50,kg,,2025-12-12,2026-01-22\n"
    )
    page.goto("/shipments/import/")
    page.set_input_files("input[type=file]", str(bad))
    page.click("button:has-text('Preview')")
    errors = page.locator("#import-errors tbody tr")
    # Wait for the preview page: count() reads the page as it is, which may still be the form.
    expect(errors).to_have_count(1)
    assert errors.count() == 1
    assert errors.first.inner_text().split("\t")[:2] == ["3", "item"]
    assert page.locator("text=Commit import").count() == 0
    assert not Shipment.objects.filter(reference__startswith="BL-NEW").exists()

    good = tmp_path / "shipments-fixed.csv"
    good.write_text(bad.read_text().replace("XX-UNKNOWN", "TB-METAL"))
    page.set_input_files("input[type=file]", str(good))
    page.click("button:has-text('Preview')")
    page.click("text=Commit import")
    page.wait_for_url("**/shipments/")
    assert page.locator("text=Imported 2 shipments").is_visible()
    assert Shipment.objects.filter(reference__startswith="BL-NEW").count() == 2


def test_it_exports_the_filtered_applications_to_xlsx_and_shows_the_scorecard(page, world):
    login(page, "chen")
    page.goto("/applications/?status=approved")
    with page.expect_download() as download:
        page.click("text=Export XLSX")
    sheet = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Reference", "ERP reference", "Supplier")
    approved = set(LicenceApplication.objects.filter(status="approved").values_list("reference", flat=True))
    assert {r[0] for r in rows[1:]} == approved

    page.goto(f"/suppliers/{world.suppliers['baotou'].pk}/")
    assert page.locator(".stat", has_text="Approval rate").locator(".value").inner_text() == "67 %"
    screenshot(page, "supplier-scorecard.png")

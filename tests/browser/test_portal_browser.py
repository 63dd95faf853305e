"""The supplier portal's acceptance flow in Chromium, in Chinese and in English: the contact
opens the link, downloads the pack, records acceptance, a supplement request naming two papers
(which reopen on the importer's checklist), then an approval with its licence and scan;
procurement confirms each on the dashboard or the application page; clock, licence and
dashboard follow."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from playwright.sync_api import expect

from licensing import services as licensing
from licensing.checklist import checklist_ensure, checklist_item_attach
from licensing.models import Licence
from licensing.predictions import predictions_refresh
from portal import services as portal
from suppliers.services import supplier_contact_save
from tests.factories import ApplicationLineFactory, ControlledItemFactory, PurchaseOrderFactory

from .conftest import login, screenshot

pytestmark = [pytest.mark.browser]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TEXT = {
    "zh-hans": {"accepted": "商务部已受理", "supplement": "要求补正材料", "approved": "已批准",
                "send": "提交报告", "download": "下载材料包", "held": "等待进口商确认", "applied": "已生效"},
    "en": {"accepted": "Accepted by MOFCOM", "supplement": "Supplement requested", "approved": "Approved",
           "send": "Send the report", "download": "Download the document pack",
           "held": "Waiting for the importer's confirmation", "applied": "Applied"},
}


@pytest.fixture
def portal_world(world):
    call_command("seed_reference_data", stdout=io.StringIO())
    supplier = world.suppliers["baotou"]
    po = PurchaseOrderFactory(supplier=supplier, number="PO-PORTAL-1")
    app = licensing.application_create(supplier=supplier, purchase_order=po, end_user="Motor Works GmbH",
                                       destination_country="DE", owner=world.users["procurement"])
    ApplicationLineFactory(application=app, item=ControlledItemFactory(code="DY2O3"), quantity=500)
    licensing.application_transition(application=app, to="submitted", on=dt.date(2025, 11, 20))
    items = {i.kind.code: i for i in checklist_ensure(app)}
    for code in ("END_USER_CERTIFICATE", "PARTY_INTRODUCTION", "CONTRACT"):
        checklist_item_attach(item=items[code], file=SimpleUploadedFile(f"{code.lower()}.pdf", PDF))
    world.portal_app = app
    return world


def _report(page, step: str, **fields) -> None:
    page.select_option("#id_to", step)
    page.fill("#id_on", fields.pop("on"))
    for selector, value in fields.items():
        if selector.startswith("check:"):
            page.check(f"input[name=requested_kinds][value={selector[6:]}]")
        elif selector == "scan":
            page.set_input_files("#id_scan", files=[{"name": "licence.pdf", "mimeType": "application/pdf",
                                                     "buffer": PDF}])
        else:
            page.fill(selector, value)


def _prediction(page, app) -> str:
    """The predicted decision as procurement reads it on the application page, after the
    refresh the hourly beat entry runs (shipments.tasks.analytics_refresh)."""
    predictions_refresh()
    login(page, "pat")
    page.goto(f"/applications/{app.pk}/")
    text = page.locator("#predicted-decision").inner_text()
    page.context.clear_cookies()
    return text


def _confirm(page, app, where: str) -> None:
    login(page, "pat")
    page.goto("/" if where == "dashboard" else f"/applications/{app.pk}/")
    panel = page.locator("#supplier-portal-panel" if where == "dashboard" else "#supplier-reports")
    panel.get_by_role("button", name="Confirm").first.click()
    page.wait_for_load_state()
    page.context.clear_cookies()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_supplier_reports_acceptance_supplement_and_approval(page, portal_world, language):
    app = portal_world.portal_app
    t = TEXT[language]
    contact = supplier_contact_save(supplier=app.supplier, name="Li Wei", email="li@example.cn", language=language)
    url = f"/s/{portal.link_issue(contact=contact).token}/"

    predicted_when_submitted = _prediction(page, app)
    page.goto(url)
    expect(page.locator("h1")).to_contain_text("Li Wei")
    page.get_by_role("link", name=app.reference).click()
    with page.expect_download() as download:
        page.get_by_role("link", name=t["download"]).click()
    names = zipfile.ZipFile(download.value.path()).namelist()
    assert len([n for n in names if n.endswith(".pdf")]) == 3

    _report(page, "accepted", on="2025-11-25", **{"#id_mofcom_number": "MOFCOM-25-0042"})
    screenshot(page, f"portal-{language}.png")
    page.get_by_role("button", name=t["send"]).click()
    expect(page.locator(".report-status").first).to_have_text(t["held"])
    _confirm(page, app, "dashboard")
    app.refresh_from_db()
    assert app.status == "accepted" and app.decision_due is not None and app.mofcom_number == "MOFCOM-25-0042"
    due_before = app.decision_due
    # The prediction follows the supplier's report: it now counts from MOFCOM's acceptance.
    assert _prediction(page, app) != predicted_when_submitted

    page.goto(f"{url}a/{app.pk}/")
    _report(page, "supplement_requested", on="2025-11-27", **{"check:END_USER_CERTIFICATE": "",
                                                                "check:PARTY_INTRODUCTION": "",
                                                                "#id_note": "Stamped originals"})
    page.get_by_role("button", name=t["send"]).click()
    expect(page.locator(".report-status").first).to_have_text(t["held"])
    _confirm(page, app, "application")
    statuses = dict(app.checklist.values_list("kind__code", "status"))
    assert statuses["END_USER_CERTIFICATE"] == statuses["PARTY_INTRODUCTION"] == "asked_again"
    assert statuses["CONTRACT"] == "shared"
    login(page, "pat")
    page.goto("/")
    expect(page.locator(".waiting-papers")).to_contain_text(app.reference)
    page.context.clear_cookies()

    page.goto(f"{url}a/{app.pk}/")
    _report(page, "accepted", on="2025-11-28")  # supplement provided
    page.get_by_role("button", name=t["send"]).click()
    _confirm(page, app, "dashboard")
    app.refresh_from_db()
    assert app.status == "accepted" and app.decision_due >= due_before

    page.goto(f"{url}a/{app.pk}/")
    line = app.lines.get()
    _report(page, "approved", on="2025-12-01", scan="", **{"#id_licence_number": "CN-EL-2025-7788",
                                                           "#id_valid_until": "2026-11-30",
                                                           f"#id_quantity_{line.item_id}": "480"})
    page.get_by_role("button", name=t["send"]).click()
    expect(page.locator(".report-status").first).to_have_text(t["held"])
    _confirm(page, app, "application")
    app.refresh_from_db()
    assert app.status == "approved" and app.decided_on == dt.date(2025, 12, 1) and app.decision_working_days
    licence = Licence.objects.get(application=app)
    assert licence.number == "CN-EL-2025-7788" and licence.lines.get().approved_quantity == 480
    assert licence.documents.count() == 1
    login(page, "pat")
    page.goto(f"/applications/{app.pk}/")
    expect(page.locator(".timeline")).to_contain_text("reported by Li Wei (supplier)")
    page.goto("/")
    assert page.locator("#supplier-portal-panel .held-reports li").count() == 0
    page.context.clear_cookies()
    page.goto(url)
    expect(page.locator("body")).to_contain_text(t["applied"])

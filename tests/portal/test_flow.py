"""The supplier portal end to end through Django's test client: reports held, confirmed,
rejected, applied at once; the checklist reopened by a supplement request; the pack."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from licensing.checklist import applications_waiting_on_papers, checklist_ensure, checklist_item_attach
from licensing.models import ChecklistStatus, Licence, SupplierReport
from portal.models import PortalAccess

from .conftest import PDF, TODAY

pytestmark = pytest.mark.django_db


def report(client, side, **data):
    data.setdefault("on", TODAY.isoformat())
    return client.post(side.app_url(), data)


def test_it_lists_only_the_suppliers_open_applications(portal_scene, client):
    ours, theirs = portal_scene
    page = client.get(ours.home)
    assert page.status_code == 200
    assert ours.app.reference.encode() in page.content and theirs.app.reference.encode() not in page.content
    assert ours.po.number.encode() in page.content
    assert "已提交商务部" in page.content.decode()  # the contact's language: Simplified Chinese


def test_a_report_is_held_until_procurement_confirms_it(portal_scene, client, procurement):
    ours, _ = portal_scene
    response = report(client, ours, to="accepted", mofcom_number="MOFCOM-2026-0042")
    assert response.status_code == 302
    held = SupplierReport.objects.get()
    ours.app.refresh_from_db()
    assert held.status == "held" and ours.app.status == "submitted"
    client.force_login(procurement)
    page = client.get(f"/applications/{ours.app.pk}/")
    assert b"Held for confirmation" in page.content
    dashboard = client.get("/").content.decode()
    assert "Reports held for confirmation" in dashboard and f'data-report="{held.pk}"' in dashboard
    client.post(f"/applications/{ours.app.pk}/reports/", {"report": held.pk, "decision": "confirm"})
    ours.app.refresh_from_db()
    assert ours.app.status == "accepted" and ours.app.accepted_on == TODAY and ours.app.decision_due is not None
    assert ours.app.mofcom_number == "MOFCOM-2026-0042"
    event = ours.app.events.order_by("-id").first()
    assert event.reported_by == ours.contact.name and event.source == "supplier"
    assert event.recorded_by_label == f"reported by {ours.contact.name} (supplier), confirmed by procurement"
    reasons = list(ours.app.history.values_list("history_change_reason", flat=True))
    assert f"submitted -> accepted, reported by {ours.contact.name} (supplier)" in reasons
    assert f"reported by {ours.contact.name} (supplier)".encode() in client.get(f"/applications/{ours.app.pk}/").content


def test_a_rejected_report_tells_the_supplier_why(portal_scene, client, procurement):
    ours, _ = portal_scene
    report(client, ours, to="accepted")
    held = SupplierReport.objects.get()
    client.force_login(procurement)
    client.post(f"/applications/{ours.app.pk}/reports/", {"report": held.pk, "decision": "reject",
                                                          "reason": "No acceptance notice seen"})
    client.logout()
    page = client.get(ours.app_url()).content.decode()
    assert "进口商未接受" in page and "No acceptance notice seen" in page
    ours.app.refresh_from_db()
    assert ours.app.status == "submitted"


def test_reports_apply_at_once_when_the_supplier_is_trusted(portal_scene, client):
    ours, _ = portal_scene
    ours.supplier.portal_apply_reports = True
    ours.supplier.save()
    report(client, ours, to="accepted")
    ours.app.refresh_from_db()
    assert ours.app.status == "accepted" and SupplierReport.objects.get().status == "applied"


def _accept(client, ours):
    ours.supplier.portal_apply_reports = True
    ours.supplier.save()
    report(client, ours, to="accepted", on=(TODAY - dt.timedelta(days=5)).isoformat())


def test_a_supplement_request_reopens_the_items_mofcom_named(portal_scene, client):
    ours, _ = portal_scene
    items = {i.kind.code: i for i in checklist_ensure(ours.app)}
    for code in ("END_USER_CERTIFICATE", "PARTY_INTRODUCTION"):
        checklist_item_attach(item=items[code], file=SimpleUploadedFile("c.pdf", PDF))
    _accept(client, ours)
    response = report(client, ours, to="supplement_requested",
                      requested_kinds=["END_USER_CERTIFICATE", "PARTY_INTRODUCTION"], note="Stamped copies")
    assert response.status_code == 302, response.content.decode()[:2000]
    statuses = dict(ours.app.checklist.values_list("kind__code", "status"))
    assert statuses["END_USER_CERTIFICATE"] == statuses["PARTY_INTRODUCTION"] == ChecklistStatus.ASKED_AGAIN
    assert statuses["CONTRACT"] == ChecklistStatus.MISSING
    assert ours.app in applications_waiting_on_papers()


def test_an_approval_records_the_licence_with_its_scan(portal_scene, client, procurement):
    ours, _ = portal_scene
    _accept(client, ours)
    ours.supplier.portal_apply_reports = False
    ours.supplier.save()
    line = ours.app.lines.get()
    response = client.post(ours.app_url(), {
        "to": "approved", "on": TODAY.isoformat(), "licence_number": "CN-EL-2026-001",
        "valid_until": "2026-09-01", f"quantity_{line.item_id}": "450",
        "scan": SimpleUploadedFile("licence.pdf", PDF, content_type="application/pdf"),
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    held = SupplierReport.objects.get(to_status="approved")
    client.force_login(procurement)
    client.post(f"/applications/{ours.app.pk}/reports/", {"report": held.pk, "decision": "confirm"})
    licence = Licence.objects.get(application=ours.app)
    assert licence.number == "CN-EL-2026-001" and licence.valid_until == dt.date(2026, 9, 1)
    assert licence.lines.get().approved_quantity == 450
    assert licence.documents.get().content_type == "application/pdf"


def test_the_pack_holds_the_ready_papers_and_marks_them_shared(portal_scene, client):
    ours, _ = portal_scene
    item = {i.kind.code: i for i in checklist_ensure(ours.app)}["CONTRACT"]
    checklist_item_attach(item=item, file=SimpleUploadedFile("contract.pdf", PDF))
    response = client.get(f"{ours.app_url()}pack/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "01-CONTRACT-contract.pdf" in names and "index.txt" in names
    item.refresh_from_db()
    assert item.status == ChecklistStatus.SHARED
    assert PortalAccess.objects.filter(action="pack", contact=ours.contact).exists()


def test_a_wrong_file_is_refused_in_the_contacts_language(portal_scene, client):
    ours, _ = portal_scene
    _accept(client, ours)
    response = client.post(ours.app_url(), {"to": "supplement_requested", "on": TODAY.isoformat(), "note": "x",
                                            "scan": SimpleUploadedFile("x.pdf", b"MZ not a pdf")})
    assert response.status_code == 200
    assert "只接受 PDF" in response.content.decode()


def test_the_portal_home_does_not_query_per_application(portal_scene, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from licensing import services as licensing

    ours, _ = portal_scene
    client.get(ours.home)
    with CaptureQueriesContext(connection) as one:
        client.get(ours.home)
    for _ in range(3):
        licensing.application_create(supplier=ours.supplier, purchase_order=ours.po, end_user="X",
                                     destination_country="DE")
    with CaptureQueriesContext(connection) as four:
        client.get(ours.home)
    assert len(four) == len(one)


@pytest.mark.parametrize("foreign", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_a_decision_goes_back_to_this_site_only(portal_scene, client, procurement, foreign):
    ours, _ = portal_scene
    report(client, ours, to="accepted", mofcom_number="MOFCOM-2026-0042")
    held = SupplierReport.objects.get()
    client.force_login(procurement)
    response = client.post(f"/applications/{ours.app.pk}/reports/",
                           {"report": held.pk, "decision": "confirm", "next": foreign})
    assert response.status_code == 302 and response["Location"] == f"/applications/{ours.app.pk}/"
    held.refresh_from_db()
    assert held.status != "held"
    # Its own pages are followed.
    assert client.post(f"/applications/{ours.app.pk}/reports/", {"report": held.pk, "next": "/"})["Location"] == "/"

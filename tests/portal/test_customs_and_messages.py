"""A supplier answers a customs hold and writes or uploads to the importer without a step
(docs/supplier-portal.md): the answer goes through ``shipments.services.customs_answer_record``,
the same door as procurement's, held or applied per the supplier's setting; messages and uploads
show on the application page; owners are alerted; every action is logged with contact and IP."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from licensing.checklist import checklist_ensure, checklist_item_attach
from licensing.models import ChecklistItem, Document, SupplierMessage
from notifications.models import Alert, Delivery
from portal.models import PortalAccess
from shipments.models import CustomsAnswer, ShipmentDocument

from .conftest import PDF, TODAY

pytestmark = pytest.mark.django_db
IP = "198.51.100.23"


def pdf(name: str = "answer.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_a_contact_sees_only_their_suppliers_holds_with_question_and_answer_by(portal_scene, client):
    ours, theirs = portal_scene
    home = client.get(ours.home).content.decode()
    assert ours.hold.reference in home and theirs.hold.reference not in home
    assert "被海关扣留的货物" in home and "2026年3月10日" in home  # 7 Chinese working days after 1 March
    page = client.get(ours.hold_url).content.decode()
    assert ours.hold.customs_question in page and "2026年3月10日" in page and theirs.hold.customs_question not in page


def test_a_suppliers_answer_is_held_then_confirmed_and_alerts_the_owner(portal_scene, client, procurement):
    ours, _ = portal_scene
    response = client.post(ours.hold_url, {"text": "Certificate attached.", "file": pdf()}, REMOTE_ADDR=IP)
    assert response.status_code == 302, response.content.decode()[:2000]
    answer = CustomsAnswer.objects.get()
    assert answer.status == "held" and answer.answered_by == f"{ours.contact.name} (supplier)"
    assert answer.held_on == ours.hold.held_on and answer.ip == IP and answer.contact == ours.contact
    assert ShipmentDocument.objects.get(shipment=ours.hold).document == answer.document  # the content-checked file
    alert = Alert.objects.get(kind="customs_answer")
    assert alert.subject_id == ours.hold.pk and alert.severity == "warning"
    assert "held for your confirmation" in alert.message
    assert list(Delivery.objects.filter(alert=alert).values_list("user", flat=True)) == [procurement.pk]
    assert PortalAccess.objects.filter(contact=ours.contact, ip=IP, action="customs:answer:held").exists()
    assert "等待进口商确认" in client.get(ours.hold_url).content.decode()

    client.force_login(procurement)
    assert b"Held for confirmation" in client.get(f"/shipments/{ours.hold.pk}/").content
    client.post(f"/shipments/{ours.hold.pk}/customs/", {"answer": answer.pk, "decision": "confirm"})
    answer.refresh_from_db()
    assert answer.status == "applied" and answer.decided_by == procurement
    assert answer.history.first().history_change_reason == (
        f"customs answered by {ours.contact.name} (supplier), confirmed by procurement")
    client.logout()
    assert "已由进口商记录" in client.get(ours.hold_url).content.decode()


def test_a_rejected_answer_tells_the_supplier_why(portal_scene, client, procurement):
    ours, _ = portal_scene
    client.post(ours.hold_url, {"text": "We think it is fine."})
    answer = CustomsAnswer.objects.get()
    client.force_login(procurement)
    client.post(f"/shipments/{ours.hold.pk}/customs/", {"answer": answer.pk, "decision": "reject",
                                                        "reason": "Customs wants the stamped original"})
    client.logout()
    page = client.get(ours.hold_url).content.decode()
    assert "进口商未接受" in page and "Customs wants the stamped original" in page


def test_a_trusted_suppliers_answer_is_recorded_at_once(portal_scene, client):
    ours, _ = portal_scene
    ours.supplier.portal_apply_reports = True
    ours.supplier.save()
    client.post(ours.hold_url, {"text": "Done."})
    assert CustomsAnswer.objects.get().status == "applied"
    assert "It has been recorded." in Alert.objects.get(kind="customs_answer").message


def test_procurement_answers_through_the_same_service(portal_scene, client, procurement):
    ours, _ = portal_scene
    client.force_login(procurement)
    client.post(f"/shipments/{ours.hold.pk}/customs/", {"text": "Sent the certificate by courier.", "file": pdf()})
    answer = CustomsAnswer.objects.get()
    assert answer.status == "applied" and answer.created_by == procurement and answer.contact is None
    assert answer.answered_by == "procurement" and answer.document is not None
    assert not Alert.objects.filter(kind="customs_answer").exists()  # nobody alerts themselves
    assert b"Sent the certificate by courier." in client.get(f"/shipments/{ours.hold.pk}/").content


def test_a_bad_answer_is_refused_in_the_contacts_language(portal_scene, client):
    ours, theirs = portal_scene
    page = client.post(ours.hold_url, {"text": "x", "file": SimpleUploadedFile("a.pdf", b"MZ not a pdf")})
    assert page.status_code == 200 and "只接受 PDF" in page.content.decode()
    page = client.post(ours.hold_url, {"text": "   "}).content.decode()
    assert "请填写对海关的答复。" in page
    page = client.post(theirs.hold_url, {"text": "bell \x07 here"}).content.decode()
    assert "Remove the control characters from this text." in page
    assert not CustomsAnswer.objects.exists() and not Document.objects.exists()


def test_a_message_on_its_own_reaches_the_application_page_and_its_owner(portal_scene, client, procurement):
    ours, _ = portal_scene
    response = client.post(f"{ours.app_url()}message/", {"text": "MOFCOM called us today."}, REMOTE_ADDR=IP)
    assert response.status_code == 302
    message = SupplierMessage.objects.get()
    assert message.contact == ours.contact and message.ip == IP and message.document is None
    alert = Alert.objects.get(kind="supplier_message")
    assert alert.severity == "info" and "MOFCOM called us today." in alert.message
    assert list(Delivery.objects.filter(alert=alert).values_list("user", flat=True)) == [procurement.pk]
    assert PortalAccess.objects.filter(contact=ours.contact, ip=IP, action="message:sent",
                                       application_id=ours.app.pk).exists()
    assert "MOFCOM called us today." in client.get(ours.app_url()).content.decode()
    ours.app.refresh_from_db()
    assert ours.app.status == "submitted" and not ours.app.supplier_reports.exists()  # no step
    client.force_login(procurement)
    page = client.get(f"/applications/{ours.app.pk}/").content.decode()
    assert "Messages and documents from the supplier" in page and "MOFCOM called us today." in page


def test_a_supplement_upload_needs_an_open_supplement_request(portal_scene, client):
    ours, _ = portal_scene
    page = client.post(f"{ours.app_url()}message/", {"regarding": "supplement", "file": pdf()}).content.decode()
    assert "请从给出的选项中选择。" in page and not Document.objects.exists()
    ours.supplier.portal_apply_reports = True
    ours.supplier.save()
    client.post(ours.app_url(), {"to": "accepted", "on": TODAY.isoformat()})
    client.post(ours.app_url(), {"to": "supplement_requested", "on": TODAY.isoformat(), "note": "Stamped contract"})
    response = client.post(f"{ours.app_url()}message/", {"regarding": "supplement", "file": pdf("s.pdf")},
                           REMOTE_ADDR=IP)
    assert response.status_code == 302
    message = SupplierMessage.objects.get()
    assert message.regarding == "supplement" and message.document.kind == "supplement"
    assert message.document.application == ours.app
    assert PortalAccess.objects.filter(contact=ours.contact, ip=IP, action="upload:supplement").exists()
    ours.app.refresh_from_db()
    assert ours.app.status == "supplement_requested"  # an upload is no step


def test_a_checklist_upload_leaves_the_importers_paper_alone(portal_scene, client):
    ours, _ = portal_scene
    item = {i.kind.code: i for i in checklist_ensure(ours.app)}["CONTRACT"]
    before = checklist_item_attach(item=item, file=pdf("contract.pdf")).document_id
    client.post(f"{ours.app_url()}message/", {"regarding": "CONTRACT", "text": "Signed by us", "file": pdf("c.pdf")})
    message = SupplierMessage.objects.get()
    assert message.regarding == "CONTRACT" and message.document.original_name == "c.pdf"
    item = ChecklistItem.objects.get(pk=item.pk)
    assert item.document_id == before != message.document_id
    page = client.post(f"{ours.app_url()}message/", {"regarding": "CONTRACT"}).content.decode()
    assert "请选择该文件。" in page


def test_a_wrong_upload_is_refused_in_the_contacts_language(portal_scene, client):
    ours, theirs = portal_scene
    page = client.post(f"{ours.app_url()}message/", {"file": SimpleUploadedFile("x.pdf", b"MZ")}).content.decode()
    assert "只接受 PDF" in page
    page = client.post(f"{ours.app_url()}message/", {"text": ""}).content.decode()
    assert "请填写留言或选择文件。" in page
    page = client.post(f"{theirs.app_url()}message/", {"text": "esc \x1b"}).content.decode()
    assert "Remove the control characters from this text." in page
    assert not SupplierMessage.objects.exists() and not Document.objects.exists()


def test_a_held_customs_answer_is_confirmed_or_rejected_from_the_dashboard(portal_scene, client, procurement):
    ours, theirs = portal_scene
    client.post(ours.hold_url, {"text": "Certificate attached."})
    client.post(theirs.hold_url, {"text": "Not needed."})
    mine, other = CustomsAnswer.objects.get(shipment=ours.hold), CustomsAnswer.objects.get(shipment=theirs.hold)
    client.force_login(procurement)
    page = client.get("/").content.decode()
    assert f'data-answer="{mine.pk}"' in page and f'data-answer="{other.pk}"' in page
    assert "Held · answer awaiting your confirmation" in page and "Held · answer by" not in page
    data = {"answer": mine.pk, "decision": "confirm", "next": "/"}
    response = client.post(f"/shipments/{ours.hold.pk}/customs/", data)
    assert response.status_code == 302 and response.url == "/"
    mine.refresh_from_db()
    assert mine.status == "applied" and mine.decided_by == procurement
    client.post(f"/shipments/{theirs.hold.pk}/customs/",
                {"answer": other.pk, "decision": "reject", "reason": "Wrong certificate", "next": "/"})
    other.refresh_from_db()
    assert other.status == "rejected"
    page = client.get("/").content.decode()
    assert f'data-answer="{mine.pk}"' not in page and f'data-answer="{other.pk}"' not in page
    assert "Held · answered, awaiting customs" in page  # still held, still at risk
    assert "Held · answer by" in page  # the rejected one needs an answer again

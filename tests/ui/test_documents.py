"""Documents: PDF and images only, by content; size capped; served only to users with a role."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from licensing.models import Document

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "navy").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def upload(client, url: str, name: str, data: bytes, kind: str = "end_user_certificate"):
    return client.post(url, {"kind": kind, "file": SimpleUploadedFile(name, data, "application/pdf")}, follow=True)


@pytest.mark.django_db
def test_pdf_and_images_are_accepted_on_applications_licences_and_shipments(scene, procurement, client):
    client.force_login(procurement)
    upload(client, f"/applications/{scene.apps['due'].pk}/documents/", "euc.pdf", PDF)
    upload(client, f"/licences/{scene.licences['long'].pk}/documents/", "licence scan.png", png(), "licence_copy")
    upload(client, f"/shipments/{scene.shipments['late'].pk}/documents/", "bl.pdf", PDF, "other")
    docs = {d.original_name: d for d in Document.objects.all()}
    assert docs["euc.pdf"].application_id == scene.apps["due"].pk and docs["euc.pdf"].content_type == "application/pdf"
    assert docs["licence scan.png"].licence_id and docs["licence scan.png"].content_type == "image/png"
    assert docs["bl.pdf"].shipment_link.shipment_id and docs["euc.pdf"].uploaded_by == procurement


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("invoice.pdf", b"MZ\x90\x00 not a pdf at all", "Only PDF and image files"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "damaged or not really an image"),
        ("page.html", b"<html><script>alert(1)</script>", "Only PDF and image files"),
        ("empty.pdf", b"", "The submitted file is empty"),
    ],
)
def test_other_content_is_refused_whatever_its_name(scene, procurement, client, name, data, message):
    client.force_login(procurement)
    response = upload(client, f"/applications/{scene.apps['due'].pk}/documents/", name, data)
    assert message in response.content.decode()
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_the_size_is_capped(scene, procurement, client, settings):
    settings.DOCUMENT_MAX_BYTES = 1000
    client.force_login(procurement)
    response = upload(client, f"/applications/{scene.apps['due'].pk}/documents/", "big.pdf", PDF + b"0" * 2000)
    assert "the limit is" in response.content.decode() and not Document.objects.exists()


@pytest.mark.django_db
def test_downloads_need_a_role_and_are_attachments_never_sniffed(scene, procurement, viewer, outsider, client):
    client.force_login(procurement)
    upload(client, f"/applications/{scene.apps['due'].pk}/documents/", "euc.pdf", PDF)
    url = f"/documents/{Document.objects.get().pk}/download/"
    client.logout()
    assert client.get(url).status_code == 302
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    client.force_login(viewer)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="euc.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.post(f"/applications/{scene.apps['due'].pk}/documents/", {}).status_code == 403  # viewer


def test_stored_files_have_no_public_url():
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve("/media/documents/2025/12/x.pdf")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n<html><body><script>alert(1)</script></body></html>",
        b"%PDF-1.7\n" + b" " * 1000 + b"<!DOCTYPE html><p>hi",
        b"\x89PNG\r\n\x1a\n<svg onload=alert(1)>",
    ],
)
def test_content_that_is_two_types_at_once_is_refused(scene, procurement, client, data):
    client.force_login(procurement)
    page = upload(client, f"/applications/{scene.apps['due'].pk}/documents/", "polyglot.pdf", data)
    assert b"HTML or script" in page.content
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_the_download_name_ends_in_the_detected_type(scene, procurement, client):
    client.force_login(procurement)
    url = f"/applications/{scene.apps['due'].pk}/documents/"
    upload(client, url, "polyglot.html", PDF)
    upload(client, url, "scan.JPEG.exe", PDF)
    upload(client, url, "noext", PDF)
    upload(client, url, "ok.PDF", PDF)
    assert sorted(Document.objects.values_list("original_name", flat=True)) == [
        "noext.pdf", "ok.PDF", "polyglot.pdf", "scan.JPEG.pdf"]
    doc = Document.objects.get(original_name="polyglot.pdf")
    response = client.get(f"/documents/{doc.pk}/download/")
    assert response.status_code == 200 and 'filename="polyglot.pdf"' in response["Content-Disposition"]
    assert doc.file.name.endswith(".pdf")

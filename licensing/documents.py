"""Attach documents to applications, licences and shipments (docs/architecture.md#documents).

PDF and image files only, recognised by their content (the first bytes), never by the name
or the type the browser claims; a file that is HTML or script as well (a polyglot) is refused,
and the name it downloads with ends in the detected type's extension; images must also open
in Pillow; the size is capped by
``DOCUMENT_MAX_BYTES``. Files are stored under a random name and served only by a view that
checks the login and role.
"""

from __future__ import annotations

import datetime as dt
import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from core.errors import field_error

from .models import Document

# Leading bytes -> (content type, file suffix, is an image).
SIGNATURES: tuple[tuple[bytes, str, str, bool], ...] = (
    (b"%PDF-", "application/pdf", "pdf", False),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png", True),
    (b"\xff\xd8\xff", "image/jpeg", "jpg", True),
    (b"GIF87a", "image/gif", "gif", True),
    (b"GIF89a", "image/gif", "gif", True),
    (b"II*\x00", "image/tiff", "tif", True),
    (b"MM\x00*", "image/tiff", "tif", True),
)


def sniff(head: bytes) -> tuple[str, str, bool] | None:
    """The content type a file's first bytes prove, or None."""
    for magic, content_type, suffix, image in SIGNATURES:
        if head.startswith(magic):
            return content_type, suffix, image
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp", True
    return None


# Markers by which a browser (or a careless viewer) would take bytes for HTML, SVG or XML; a
# file that starts as a PDF or an image and holds one of these in the part a browser sniffs
# is two types at once (a polyglot) and is refused.
_MARKUP = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<svg", b"<?xml", b"<object",
           b"<embed", b"<img", b"<a href", b"<meta", b"<style", b"<form", b"javascript:")
SNIFF_BYTES = 4096
# Suffixes a download name may keep for each detected type.
_SUFFIXES = {"pdf": {"pdf"}, "png": {"png"}, "jpg": {"jpg", "jpeg", "jpe"}, "gif": {"gif"},
             "tif": {"tif", "tiff"}, "webp": {"webp"}}


def download_name(original: str, suffix: str) -> str:
    """The name a document downloads with: the original's, with its extension replaced by
    the detected type's unless it is already one of that type's (``scan.JPEG`` stays)."""
    name = (original or "").replace("\\", "/").rsplit("/", 1)[-1].strip() or "document"
    stem, dot, ext = name.rpartition(".")
    if dot and ext.lower() in _SUFFIXES[suffix]:
        return name[:255]
    stem = stem if dot and stem else name
    return f"{stem[: 254 - len(suffix)]}.{suffix}"


def document_validate(file: UploadedFile) -> tuple[str, str]:
    """Check size and content; returns (content type, suffix) or raises a DomainError on ``file``."""
    limit = settings.DOCUMENT_MAX_BYTES
    if file.size is None or file.size == 0:
        raise field_error("file", "The file is empty.", code="empty")
    if file.size > limit:
        raise field_error(
            "file",
            f"The file is {file.size / 1048576:.1f} MB; the limit is {limit / 1048576:.0f} MB.",
            code="too_large",
        )
    file.seek(0)
    head = file.read(16)
    found = sniff(head)
    if found is None:
        raise field_error("file", "Only PDF and image files (PNG, JPEG, GIF, TIFF, WebP) are accepted.", code="type")
    content_type, suffix, image = found
    file.seek(0)
    sniffed = file.read(SNIFF_BYTES).lower()
    if any(marker in sniffed for marker in _MARKUP):
        raise field_error(
            "file", "The file holds HTML or script as well as a PDF or image: save it again as a plain PDF or image.",
            code="polyglot",
        )
    if image:
        file.seek(0)
        try:
            with Image.open(io.BytesIO(file.read())) as img:
                img.verify()  # checks the structure without decoding every pixel
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise field_error("file", "This image file is damaged or not really an image.", code="bad_image") from exc
    file.seek(0)
    return content_type, suffix


@transaction.atomic
def document_attach(
    *,
    file: UploadedFile,
    kind: str,
    actor=None,
    application=None,
    licence=None,
    valid_until: dt.date | None = None,
) -> Document:
    """Validate and store one document on an application or a licence, or on neither: a shipment
    document is stored here and then linked by ``shipments.services.shipment_document_attach``."""
    if application is not None and licence is not None:
        raise field_error("__all__", "Attach a document to one application or one licence, not both.")
    if kind not in Document.Kind.values:
        raise field_error("kind", "Choose what kind of document this is.", code="invalid_choice")
    content_type, suffix = document_validate(file)
    original = download_name(file.name or "", suffix)
    file.name = f"upload.{suffix}"  # the stored name's suffix follows the content, not the claim
    document = Document(
        application=application,
        licence=licence,
        kind=kind,
        file=file,
        original_name=original,
        content_type=content_type,
        size=file.size,
        valid_until=valid_until,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        uploaded_at=timezone.now(),
    )
    document._history_user = document.uploaded_by
    document.full_clean()
    document.save()
    return document

"""Document upload (on application, licence and shipment pages) and the only way to read one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from core.permissions import role_required
from core.roles import Role

from ..documents import document_attach
from ..forms import DocumentForm
from ..models import Document, Licence, LicenceApplication


def document_upload(request: HttpRequest, *, back: str, attach=document_attach, **target) -> HttpResponse:
    """Validate and attach (``attach`` is the service that stores it); errors come back as a
    message on the page the upload came from."""
    if request.method != "POST":
        return redirect(back)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"Document not uploaded: {field.replace('_', ' ')}: {' '.join(errors)}")
        return redirect(back)
    try:
        document = attach(
            file=form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
            valid_until=form.cleaned_data["valid_until"],
            actor=request.user,
            **target,
        )
    except ValidationError as exc:
        for messages_ in exc.message_dict.values():
            messages.error(request, f"Document not uploaded: {' '.join(messages_)}")
    else:
        messages.success(request, f"{document.original_name} uploaded.")
    return redirect(back + "#documents")


@role_required(Role.PROCUREMENT)
def application_document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    app = get_object_or_404(LicenceApplication, pk=pk)
    return document_upload(request, back=reverse("application-detail", args=[app.pk]), application=app)


@role_required(Role.PROCUREMENT)
def licence_document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    licence = get_object_or_404(Licence, pk=pk)
    return document_upload(request, back=reverse("licence-detail", args=[licence.pk]), licence=licence)


@role_required(Role.VIEWER)
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Served by this view only (MEDIA_ROOT has no URL): as an attachment, never sniffed."""
    document = get_object_or_404(Document, pk=pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file of this document is missing from storage.") from exc
    response = FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

"""Procurement's side of the supplier portal on the application page: confirm or reject a held
report, and upload the importer's checklist papers (docs/supplier-portal.md)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme

from core.api.fields import valid_id
from core.errors import field_error
from core.permissions import role_required
from core.roles import Role

from .. import checklist, reports
from ..models import LicenceApplication, ReportStatus


def _errors(request: HttpRequest, prefix: str, exc: ValidationError) -> None:
    for field_messages in exc.message_dict.values():
        messages.error(request, f"{prefix}: {' '.join(field_messages)}")


@role_required(Role.PROCUREMENT)
def application_report_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """POST ``report`` (id) and ``decision`` (confirm | reject, with ``reason``)."""
    app = get_object_or_404(LicenceApplication, pk=pk)
    # Back to the page the decision was made on (the dashboard or the application), never to
    # another site: "//host/" and "https://host/" are refused like any foreign address.
    asked = request.POST.get("next", "")
    safe = asked and url_has_allowed_host_and_scheme(asked, allowed_hosts={request.get_host()})
    back = asked if safe else f"/applications/{app.pk}/"
    if request.method != "POST":
        return redirect(f"/applications/{app.pk}/")
    report = app.supplier_reports.filter(pk=valid_id(request.POST.get("report")), status=ReportStatus.HELD).first()
    if report is None:
        messages.error(request, "That report is not waiting for confirmation.")
        return redirect(back)
    try:
        if request.POST.get("decision") == "confirm":
            reports.supplier_report_apply(report=report, actor=request.user)
            messages.success(
                request, f"Confirmed: {report.to_status} on {report.on}, reported by {report.contact.name}."
            )
        else:
            reports.supplier_report_reject(report=report, actor=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, f"Rejected the report by {report.contact.name}; they will see why.")
    except ValidationError as exc:
        _errors(request, "Not done", exc)
    return redirect(back)


@role_required(Role.PROCUREMENT)
def application_checklist_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """POST ``item`` (id), ``file`` and optional ``valid_until``: the paper for one checklist item."""
    app = get_object_or_404(LicenceApplication, pk=pk)
    if request.method != "POST":
        return redirect(f"/applications/{app.pk}/#checklist")
    item = app.checklist.filter(pk=valid_id(request.POST.get("item"))).first()
    file = request.FILES.get("file")
    if item is None or file is None:
        messages.error(request, "Choose a checklist item and a file.")
        return redirect(f"/applications/{app.pk}/#checklist")
    try:
        valid_until = _date_or_none(request.POST.get("valid_until", ""))
        checklist.checklist_item_attach(item=item, file=file, actor=request.user, valid_until=valid_until)
    except ValidationError as exc:
        _errors(request, "Not uploaded", exc)
    else:
        messages.success(request, f"{item.kind.name}: uploaded.")
    return redirect(f"/applications/{app.pk}/#checklist")


def _date_or_none(value: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise field_error("valid_until", "Give the date as YYYY-MM-DD.", code="invalid_date") from None

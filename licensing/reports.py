"""Steps reported by a supplier contact through the supplier portal (docs/supplier-portal.md).

A report is checked when it arrives (the same transition rules as any step, so the supplier
hears at once that a move is not possible), then either applied at once (the supplier's
``portal_apply_reports``) or held until procurement confirms or rejects it. Applying goes
through ``services.application_transition`` with ``reported_by``: the one door for status.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.errors import ConflictError, DomainError, field_error

from . import checklist, clock, services
from .documents import document_attach
from .models import (
    ApplicationStatus,
    ControlledItem,
    Document,
    LicenceApplication,
    ReportStatus,
    SupplierMessage,
    SupplierReport,
)
from .models.applications import TRANSITIONS

S = ApplicationStatus
# What a supplier may report: MOFCOM's steps, never the importer's own (draft, withdrawn).
REPORTABLE = (S.SUBMITTED, S.ACCEPTED, S.SUPPLEMENT_REQUESTED, S.APPROVED, S.REJECTED)


def _check_step(application: LicenceApplication, to: str, on: dt.date) -> None:
    if to not in REPORTABLE:
        raise field_error("to", f"'{to}' cannot be reported by a supplier.", code="invalid_choice")
    if to not in TRANSITIONS[application.status]:
        raise field_error(
            "to", f"{application.reference} cannot move from '{application.status}' to '{to}'.",
            code="transition_not_allowed", cls=ConflictError,
        )
    if on > clock.today():
        raise field_error("on", f"The step is dated {on}, after today.", code="date_in_future")
    last = application.events.order_by("-on", "-id").values_list("on", flat=True).first()
    if last is not None and on < last:
        raise field_error("on", f"The step is dated {on}, before the previous step ({last}).",
                          code="date_before_previous_step")


def _licence_data(application: LicenceApplication, licence: dict[str, Any]) -> dict[str, Any]:
    """The approval's licence as stored on the report (JSON): number, validity and one line
    per item of the application with the approved quantity."""
    if not (licence.get("number") or "").strip():
        raise field_error("licence.number", "Give the licence number.", code="required")
    valid_from, valid_until = licence.get("valid_from"), licence.get("valid_until")
    if not valid_until:
        raise field_error("licence.valid_until", "Give the last day the licence is valid.", code="required")
    if valid_from and valid_until < valid_from:
        raise field_error("licence.valid_until", "The licence cannot end before it starts.", code="invalid_range")
    items = {line.item_id: line for line in application.lines.all()}
    lines = []
    for item_id, quantity in (licence.get("quantities") or {}).items():
        try:
            quantity = Decimal(str(quantity))
        except InvalidOperation:
            raise field_error(f"licence.quantities.{item_id}", "Give a number.", code="invalid") from None
        if item_id not in items:
            raise field_error(f"licence.quantities.{item_id}", "Not an item of this application.", code="invalid")
        if quantity <= 0:
            raise field_error(f"licence.quantities.{item_id}", "Give a quantity above zero.", code="min_value")
        lines.append({"item_id": item_id, "approved_quantity": str(quantity), "unit": items[item_id].unit})
    if not lines:
        raise field_error("licence.quantities", "Give the approved quantity of at least one item.", code="required")
    return {"number": licence["number"].strip(), "valid_from": valid_from and valid_from.isoformat(),
            "valid_until": valid_until.isoformat(), "lines": lines}


@transaction.atomic
def supplier_report_create(
    *,
    contact,
    application: LicenceApplication,
    to: str,
    on: dt.date,
    mofcom_number: str = "",
    note: str = "",
    requested_kinds: list[str] | tuple[str, ...] = (),
    licence: dict[str, Any] | None = None,
    scan: UploadedFile | None = None,
    ip: str | None = None,
) -> SupplierReport:
    """Record a step reported by ``contact``; applied at once if their supplier says so."""
    application = LicenceApplication.objects.select_for_update().get(pk=application.pk)
    if application.supplier_id != contact.supplier_id:
        raise DomainError({"application": "Not an application of this supplier."})
    _check_step(application, to, on)
    if to == S.SUPPLEMENT_REQUESTED:
        requested_kinds = checklist.checklist_codes_validate(requested_kinds)
        if not requested_kinds and not note.strip():
            raise field_error("requested_kinds", "Say what MOFCOM asked for.", code="required")
    else:
        requested_kinds = []
    licence_data = _licence_data(application, licence or {}) if to == S.APPROVED else None
    document = None
    if scan is not None:
        kind = Document.Kind.LICENCE_COPY if to == S.APPROVED else Document.Kind.SUPPLEMENT
        document = document_attach(file=scan, kind=kind, application=application)
    report = SupplierReport.objects.create(
        application=application, contact=contact, to_status=to, on=on, mofcom_number=mofcom_number.strip(),
        note=note.strip(), requested_kinds=list(requested_kinds), licence=licence_data, scan=document, ip=ip,
    )
    if contact.supplier.portal_apply_reports:
        report = supplier_report_apply(report=report)
    return report


@transaction.atomic
def supplier_report_apply(*, report: SupplierReport, actor=None) -> SupplierReport:
    """Apply a held report through the workflow service (procurement confirms it, or the
    supplier's reports apply at once). Refused if the application moved on meanwhile."""
    report = SupplierReport.objects.select_for_update().select_related("contact", "application").get(pk=report.pk)
    if report.status != ReportStatus.HELD:
        raise field_error("report", f"This report is already {report.status}.", code="not_held", cls=ConflictError)
    application = report.application
    licence = None
    if report.licence:
        data = report.licence
        items = ControlledItem.objects.in_bulk([line["item_id"] for line in data["lines"]])
        licence = {"number": data["number"], "valid_from": data["valid_from"], "valid_until": data["valid_until"],
                   "lines": [{"item": items[line["item_id"]], "unit": line["unit"],
                              "approved_quantity": Decimal(line["approved_quantity"])} for line in data["lines"]]}
    note = report.note
    if report.mofcom_number:
        note = f"{note}\nMOFCOM file number {report.mofcom_number}".strip()
    application = services.application_transition(
        application=application, to=report.to_status, on=report.on, note=note, licence=licence,
        actor=actor, reported_by=report.contact.name,
    )
    if report.mofcom_number and report.mofcom_number != application.mofcom_number:
        services.application_update(application=application, mofcom_number=report.mofcom_number, actor=actor)
    if report.requested_kinds:
        checklist.checklist_reopen(application=application, codes=report.requested_kinds, note=report.note,
                                   actor=actor)
    if report.scan_id and report.licence:
        # The licence scan belongs with the licence the approval just created.
        made = application.licences.order_by("-id").first()
        if made is not None:
            Document.objects.filter(pk=report.scan_id).update(application=None, licence=made)
    report.status, report.decided_at = ReportStatus.APPLIED, timezone.now()
    report.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    report.event = application.events.order_by("-id").first()
    report.save()
    return report


@transaction.atomic
def supplier_report_reject(*, report: SupplierReport, actor=None, reason: str) -> SupplierReport:
    """Refuse a held report; the supplier sees the reason on the portal."""
    if not reason.strip():
        raise field_error("reason", "Say why, for the supplier.", code="required")
    report = SupplierReport.objects.select_for_update().get(pk=report.pk)
    if report.status != ReportStatus.HELD:
        raise field_error("report", f"This report is already {report.status}.", code="not_held", cls=ConflictError)
    report.status, report.reject_reason, report.decided_at = ReportStatus.REJECTED, reason.strip(), timezone.now()
    report.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    report.save()
    return report


@transaction.atomic
def supplier_message_create(
    *, contact, application: LicenceApplication, text: str = "", file: UploadedFile | None = None,
    regarding: str = "", ip: str | None = None,
) -> SupplierMessage:
    """A message and/or a document from ``contact`` about ``application``, without a step.

    ``regarding`` says what a document is for: "supplement" (the open supplement request; the
    application must be waiting on one) or the code of one of the application's checklist kinds.
    The file passes the content checks of every upload and is kept as a supplement document of
    the application; the importer's own checklist file is left as it is."""
    if application.supplier_id != contact.supplier_id:
        raise DomainError({"application": "Not an application of this supplier."})
    text = (text or "").strip()
    if not text and file is None:
        raise field_error("text", "Write a message or choose a file.", code="required")
    if regarding == SupplierMessage.SUPPLEMENT:
        if application.status != S.SUPPLEMENT_REQUESTED:
            raise field_error("regarding", "No supplement request is open on this application.",
                              code="no_supplement_request")
    elif regarding:
        checklist.checklist_codes_validate([regarding], field="regarding")
    if regarding and file is None:
        raise field_error("file", "Choose the file for this document.", code="required")
    message = SupplierMessage(application=application, contact=contact, text=text, regarding=regarding, ip=ip)
    message.full_clean(exclude=["document"])
    if file is not None:
        message.document = document_attach(file=file, kind=Document.Kind.SUPPLEMENT, application=application)
    message.save()
    return message


def held_reports() -> QuerySet[SupplierReport]:
    return SupplierReport.objects.filter(status=ReportStatus.HELD).select_related(
        "application__supplier", "contact"
    ).order_by("created_at", "id")

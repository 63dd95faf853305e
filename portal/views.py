"""The supplier portal's pages at /s/<token>/ (docs/supplier-portal.md).

Every view goes through ``portal_view``: throttle by IP, resolve the token (unknown, expired,
revoked and inactive all get the same 404 page), switch to the contact's language, log the
action with the contact and IP. Nothing here reads the session or ``request.user``: a portal
link never becomes a login, and an importer's login means nothing here. Applications are
looked up within the contact's supplier only; another supplier's id is the same 404.
The views set no cookie at all (CSRF exempt: the secret token in the path does that job).
"""

from __future__ import annotations

import io
import zipfile
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from licensing import checklist, reports
from licensing.models import ApplicationStatus, LicenceApplication, SupplierMessage
from licensing.models.applications import OPEN_STATUSES
from shipments import services as shipment_services
from shipments.models import Shipment
from shipments.selectors import shipments_held
from suppliers.services import supplier_contact_save

from . import services
from .forms import (
    CHECKLIST_LABELS,
    CONTROL_CHARACTERS,
    CUSTOMS_ANSWER_LABELS,
    REPORT_STATUS_LABELS,
    STATUS_LABELS,
    CustomsAnswerForm,
    LanguageForm,
    MessageForm,
    ReportForm,
)

S = ApplicationStatus
# Tokens tried per IP per minute that open nothing: beyond this even good links wait a minute.
FAILED_PER_MINUTE = 10


class NotHere(Exception):
    """Anything the link does not reach: answered exactly like a bad token."""


def _refused(request: HttpRequest, status: int = 404) -> HttpResponse:
    # Always in the default language (the page carries both): a good token asking for another
    # supplier's id gets byte for byte what a bad token gets, so it learns nothing.
    with translation.override(settings.LANGUAGE_CODE):
        response = render(request, "portal/refused.html", {"status": status}, status=status)
    return _harden(response)


def _harden(response: HttpResponse) -> HttpResponse:
    # The token is in the URL: never cached, never sent on as a Referer, never indexed.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _throttled(ip: str | None) -> bool:
    minute = timezone.now().strftime("%Y%m%d%H%M")
    key = f"portal:rate:{ip}:{minute}"
    cache.add(key, 0, 70)
    if cache.incr(key) > settings.PORTAL_THROTTLE_PER_MINUTE:
        return True
    return (cache.get(f"portal:fail:{ip}:{minute}") or 0) >= FAILED_PER_MINUTE


def _count_failure(ip: str | None) -> None:
    key = f"portal:fail:{ip}:{timezone.now():%Y%m%d%H%M}"
    cache.add(key, 0, 70)
    cache.incr(key)


def portal_view(action: str, subject: str | None = "application"):
    """``subject``: what the URL's ``pk`` names; an application's id goes into the access log."""
    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, token: str, **kwargs) -> HttpResponse:
            ip = services.client_ip(request)
            if _throttled(ip):
                services.access_log(request=request, link=None, action="throttled", ok=False)
                response = _refused(request, status=429)
                response["Retry-After"] = "60"
                return response
            link = services.link_resolve(token)
            if link is None:
                _count_failure(ip)
                services.access_log(request=request, link=None, action="refused", ok=False)
                return _refused(request)
            request.portal_link = link
            with translation.override(link.contact.language):
                try:
                    response = view(request, link=link, contact=link.contact, token=token, **kwargs)
                except NotHere:
                    services.access_log(request=request, link=link, action=f"{action}:refused",
                                        application_id=kwargs.get("pk") if subject else None, ok=False)
                    return _refused(request)
            services.access_log(request=request, link=link, action=action,
                                application_id=kwargs.get("pk") if subject else None)
            return _harden(response)

        # No CSRF cookie or session: a forged request would need the unguessable token in its
        # path, which is what Django's CSRF token would prove anyway.
        return csrf_exempt(wrapped)

    return decorator


def _application(contact, pk: int) -> LicenceApplication:
    app = (
        LicenceApplication.objects.filter(pk=pk, supplier_id=contact.supplier_id, status__in=OPEN_STATUSES)
        .select_related("purchase_order", "supplier").first()
    )
    if app is None:
        raise NotHere
    return app


def _kinds_name(kind, language: str) -> str:
    return kind.name_zh if language == "zh-hans" and kind.name_zh else kind.name


def _asks(app: LicenceApplication) -> str:
    """What the importer asks of the supplier next, by the application's status."""
    return {
        S.DRAFT: _("Please file the application with MOFCOM and report it here as submitted."),
        S.DOCUMENTS_PENDING: _("Please file the application with MOFCOM once you have our papers, and report it."),
        S.SUBMITTED: _("Please report when MOFCOM accepts the application, with its file number."),
        S.ACCEPTED: _("Please report MOFCOM's decision, or a supplement request with what MOFCOM asked for."),
        S.SUPPLEMENT_REQUESTED: _("Please report when you have provided the supplement to MOFCOM."),
    }.get(app.status, "")


def _context(contact, token: str, **extra) -> dict:
    return {
        "contact": contact, "supplier": contact.supplier, "token": token, "language": contact.language,
        "status_labels": STATUS_LABELS, "report_labels": REPORT_STATUS_LABELS, **extra,
    }


@require_http_methods(["GET"])
@portal_view("home")
def home(request: HttpRequest, *, link, contact, token: str) -> HttpResponse:
    apps = list(
        LicenceApplication.objects.filter(supplier_id=contact.supplier_id, status__in=OPEN_STATUSES)
        .select_related("purchase_order").order_by("-created_at", "-id")
    )
    for app in apps:
        app.portal_status = STATUS_LABELS[app.status]
        app.portal_asks = _asks(app)
    recent = list(contact.reports.select_related("application").order_by("-created_at", "-id")[:20])
    for r in recent:
        r.portal_status, r.portal_step = REPORT_STATUS_LABELS[r.status], STATUS_LABELS.get(r.to_status, r.to_status)
    return render(request, "portal/home.html", _context(contact, token, applications=apps, reports=recent,
                                                         link=link, holds=list(_holds(contact))))


def _service_errors(form, exc: ValidationError, fields: dict[str, str], required: str | None = None) -> None:
    """The service's errors in the contact's language, beside the field they concern."""
    messages = {
        "date_in_future": _("The date is after today."),
        "date_before_previous_step": _("The date is before the previous step of this application."),
        "invalid_date": _("Give the date as YYYY-MM-DD."),
        "empty": _("The file is empty."),
        "too_large": _("The file is too large."),
        "type": _("Only PDF and image files (PNG, JPEG, GIF, TIFF, WebP) are accepted."),
        "bad_image": _("This image file is damaged or not really an image."),
        "invalid_range": _("The licence cannot end before it starts."),
        "required": required or _("This is needed for this step."),
        "control_character": CONTROL_CHARACTERS,
        "not_held": _("This shipment is no longer held by customs."),
        "no_supplement_request": _("No supplement request is open on this application."),
        "invalid_choice": _("Choose one of the options offered."),
    }
    if isinstance(form, ReportForm):
        messages["transition_not_allowed"] = _("This step is not possible now: the application is “%(status)s”.") % {
            "status": STATUS_LABELS[form.application.status]}
    for name, errors in exc.error_dict.items() if hasattr(exc, "error_dict") else [("__all__", exc.error_list)]:
        for error in errors:
            text = messages.get(error.code or "", _("This value is not accepted."))
            field = fields.get(name, name)
            form.add_error(field if field in form.fields else None, text)


REPORT_FIELDS = {"to": "to", "on": "on", "file": "scan", "licence.valid_until": "valid_until",
                 "licence.number": "licence_number", "requested_kinds": "requested_kinds",
                 "mofcom_number": "mofcom_number", "note": "note"}


def _application_page(request, *, contact, token: str, app, kinds, form: ReportForm,
                      message_form: MessageForm) -> HttpResponse:
    language = contact.language
    items = list(kinds)
    for item in items:
        item.portal_name, item.portal_status = _kinds_name(item.kind, language), CHECKLIST_LABELS[item.status]
    recent = list(app.supplier_reports.filter(contact__supplier_id=contact.supplier_id).order_by("-created_at")[:10])
    for r in recent:
        r.portal_status, r.portal_step = REPORT_STATUS_LABELS[r.status], STATUS_LABELS.get(r.to_status, r.to_status)
    names = {item.kind.code: item.portal_name for item in items}
    names[SupplierMessage.SUPPLEMENT] = _("The supplement MOFCOM asked for")
    sent = list(app.supplier_messages.filter(contact__supplier_id=contact.supplier_id)
                .select_related("contact", "document").order_by("-created_at", "-id")[:20])
    for m in sent:
        m.portal_regarding = names.get(m.regarding, m.regarding)
    return render(request, "portal/application.html", _context(
        contact, token, app=app, app_status=STATUS_LABELS[app.status], asks=_asks(app), form=form,
        message_form=message_form, checklist=items, reports=recent, messages_sent=sent,
        done=request.GET.get("done") == "1", sent=request.GET.get("sent") == "1",
        lines=list(app.lines.select_related("item")),
        po_lines=list(app.purchase_order.lines.all()) if app.purchase_order else [],
        downloadable=any(item.document_id for item in items),
    ))


def _forms(request, app, kinds, language: str, *, report_post: bool, message_post: bool):
    all_kinds = [item.kind for item in kinds]
    form = ReportForm(request.POST if report_post else None, request.FILES if report_post else None,
                      application=app, kinds=all_kinds, language=language)
    if app.status == S.SUPPLEMENT_REQUESTED:
        form.fields["to"].choices = [
            (value, _("Supplement provided") if value == S.ACCEPTED else label)
            for value, label in form.fields["to"].choices
        ]
    message_form = MessageForm(request.POST if message_post else None, request.FILES if message_post else None,
                               application=app, kinds=all_kinds, language=language)
    return form, message_form


@require_http_methods(["GET", "POST"])
@portal_view("application")
def application(request: HttpRequest, *, link, contact, token: str, pk: int) -> HttpResponse:
    app = _application(contact, pk)
    kinds = checklist.checklist_ensure(app)
    posted = request.method == "POST"
    form, message_form = _forms(request, app, kinds, contact.language, report_post=posted, message_post=False)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            report = reports.supplier_report_create(
                contact=contact, application=app, to=data["to"], on=data["on"],
                mofcom_number=data.get("mofcom_number", ""), note=data.get("note", ""),
                requested_kinds=data.get("requested_kinds") or [], licence=form.licence(),
                scan=data.get("scan"), ip=services.client_ip(request),
            )
        except ValidationError as exc:
            _service_errors(form, exc, REPORT_FIELDS)
        else:
            services.report_notify_owner(report)
            services.access_log(request=request, link=link, action=f"report:{report.to_status}:{report.status}",
                                application_id=app.pk)
            return redirect(reverse("portal:application", args=[token, app.pk]) + "?done=1")
    return _application_page(request, contact=contact, token=token, app=app, kinds=kinds, form=form,
                             message_form=message_form)


@require_http_methods(["GET", "POST"])
@portal_view("message")
def message(request: HttpRequest, *, link, contact, token: str, pk: int) -> HttpResponse:
    """A message to the importer and/or a document (for the open supplement request or a
    checklist item), without a step. A GET (after the token and application checks, so a bad
    link is the same 404 here as everywhere) leads to the form on the application page."""
    app = _application(contact, pk)
    if request.method == "GET":
        return redirect(reverse("portal:application", args=[token, app.pk]) + "#messages")
    kinds = checklist.checklist_ensure(app)
    form, message_form = _forms(request, app, kinds, contact.language, report_post=False, message_post=True)
    if message_form.is_valid():
        data = message_form.cleaned_data
        try:
            sent = reports.supplier_message_create(
                contact=contact, application=app, text=data.get("text", ""), file=data.get("file"),
                regarding=data.get("regarding", ""), ip=services.client_ip(request),
            )
        except ValidationError as exc:
            _service_errors(message_form, exc, {}, required=_("Write a message or choose a file."))
        else:
            services.message_notify_owner(sent)
            action = f"upload:{sent.regarding or 'other'}" if sent.document_id else "message:sent"
            services.access_log(request=request, link=link, action=action[:40], application_id=app.pk)
            return redirect(reverse("portal:application", args=[token, app.pk]) + "?sent=1#messages")
    return _application_page(request, contact=contact, token=token, app=app, kinds=kinds, form=form,
                             message_form=message_form)


def _holds(contact):
    return (shipments_held().filter(supplier_id=contact.supplier_id)
            .select_related("purchase_order").order_by("customs_response_due", "id"))


def _hold(contact, pk: int) -> Shipment:
    shipment = _holds(contact).filter(pk=pk).first()
    if shipment is None:
        raise NotHere
    return shipment


@require_http_methods(["GET", "POST"])
@portal_view("hold", subject=None)
def hold(request: HttpRequest, *, link, contact, token: str, pk: int) -> HttpResponse:
    """A customs hold on one of the supplier's shipments: the question, the answer-by date and
    the supplier's answer (recorded through ``shipments.services.customs_answer_record``)."""
    shipment = _hold(contact, pk)
    form = CustomsAnswerForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            answer = shipment_services.customs_answer_record(
                shipment=shipment, text=form.cleaned_data["text"], file=form.cleaned_data.get("file"),
                contact=contact, ip=services.client_ip(request),
            )
        except ValidationError as exc:
            _service_errors(form, exc, {}, required=_("Give the answer to customs."))
        else:
            services.customs_answer_notify_owner(answer)
            services.access_log(request=request, link=link, action=f"customs:answer:{answer.status}")
            return redirect(reverse("portal:hold", args=[token, shipment.pk]) + "?done=1")
    answers = list(shipment.customs_answers.filter(contact__supplier_id=contact.supplier_id, held_on=shipment.held_on)
                   .order_by("-created_at", "-id"))
    for a in answers:
        a.portal_status = CUSTOMS_ANSWER_LABELS[a.status]
    return render(request, "portal/hold.html", _context(
        contact, token, shipment=shipment, form=form, answers=answers, done=request.GET.get("done") == "1",
        lines=list(shipment.lines.select_related("item")),
    ))


@require_http_methods(["GET"])
@portal_view("pack")
def pack(request: HttpRequest, *, link, contact, token: str, pk: int) -> HttpResponse:
    """The importer's papers for this application as one zip; what was ready is now shared."""
    app = _application(contact, pk)
    items = [item for item in checklist.checklist_ensure(app) if item.document_id]
    buffer = io.BytesIO()
    index = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, item in enumerate(items, start=1):
            name = f"{n:02d}-{item.kind.code}-{item.document.original_name}".replace("/", "_")
            with item.document.file.open("rb") as fh:
                archive.writestr(name, fh.read())
            index.append(f"{name}\t{_kinds_name(item.kind, contact.language)}")
        archive.writestr("index.txt", "\n".join([_("Documents for %(ref)s") % {"ref": app.reference}, *index]) + "\n")
    checklist.checklist_share(application=app)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{app.reference}-documents.zip"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["POST"])
@portal_view("language")
def language(request: HttpRequest, *, link, contact, token: str) -> HttpResponse:
    form = LanguageForm(request.POST)
    if form.is_valid():
        supplier_contact_save(contact=contact, language=form.cleaned_data["language"])
    back = request.POST.get("next", "")
    prefix = reverse("portal:home", args=[token])
    return redirect(back if back.startswith(prefix) else prefix)

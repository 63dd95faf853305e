"""Writes of the supplier portal (docs/supplier-portal.md): links (issue, renew, revoke),
invitations, the access log, the owner's alerts on a report, a message or a customs answer, and
the reminders.

A token is 32 random bytes (256 bits) in URL-safe base64; only its SHA-256 is stored. A link
belongs to one contact; issuing a new one revokes the contact's earlier links.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from licensing import clock
from licensing.models import ApplicationStatus, LicenceApplication, SupplierMessage, SupplierReport
from licensing.models.applications import OPEN_STATUSES
from notifications import services as notifications_services
from notifications import tasks as notifications_tasks
from notifications.models import KIND_SEVERITY, Kind, Severity, SubjectType
from shipments.models import CustomsAnswer
from shipments.selectors import shipment_owner
from suppliers.models import Supplier, SupplierContact
from suppliers.services import supplier_contact_save

from .models import PortalAccess, PortalLink, PortalReminder

log = logging.getLogger(__name__)
S = ApplicationStatus
OTHER_LANGUAGE = {"en": "zh-hans", "zh-hans": "en"}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('portal:home', args=[token])}"


@dataclass(frozen=True)
class IssuedLink:
    link: PortalLink
    token: str  # shown once; never stored

    @property
    def url(self) -> str:
        return link_url(self.token)


@transaction.atomic
def link_issue(*, contact: SupplierContact, actor=None, days: int | None = None) -> IssuedLink:
    """A new link for the contact (their earlier links stop working at once)."""
    now = timezone.now()
    PortalLink.objects.filter(contact=contact, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    link = PortalLink.objects.create(
        contact=contact, token_hash=token_hash(token), created_by=actor if getattr(actor, "is_authenticated", False)
        else None, expires_at=now + dt.timedelta(days=days or settings.PORTAL_LINK_DAYS),
    )
    return IssuedLink(link, token)


def link_renew(*, link: PortalLink, days: int | None = None) -> PortalLink:
    """Extend a live or expired (not revoked) link by the link period from now; same token."""
    link.expires_at = timezone.now() + dt.timedelta(days=days or settings.PORTAL_LINK_DAYS)
    PortalLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(expires_at=link.expires_at)
    return link


def link_revoke(*, link: PortalLink) -> None:
    PortalLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def link_resolve(token: str) -> PortalLink | None:
    """The live link a token opens, or None (unknown, expired, revoked, inactive contact or
    supplier: the caller answers all of them the same way)."""
    if not token or len(token) > 100:
        return None
    link = (
        PortalLink.objects.select_related("contact__supplier").filter(token_hash=token_hash(token)).first()
    )
    if link is None or not link.is_live or not link.contact.active or not link.contact.supplier.active:
        return None
    return link


def access_log(*, request, link: PortalLink | None, action: str, application_id: int | None = None,
               ok: bool = True) -> None:
    PortalAccess.objects.create(
        contact=link.contact if link else None, link=link, ip=client_ip(request), action=action,
        path=request.path[:300] if link else "/s/…/", application_id=application_id, ok=ok,
    )
    if link is not None:
        PortalLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())


def client_ip(request) -> str | None:
    # REMOTE_ADDR: the proxy in front (gunicorn behind nginx) is expected to set it; a client
    # cannot forge it the way it can X-Forwarded-For.
    return request.META.get("REMOTE_ADDR") or None


# --- Invitations ------------------------------------------------------------------------------


def _send(*, contact: SupplierContact, template: str, context: dict) -> None:
    """An email in the contact's language first, then the other language below it."""
    first, second = contact.language, OTHER_LANGUAGE.get(contact.language, "en")
    subjects, texts = [], []
    for language in (first, second):
        with translation.override(language):
            subjects.append(render_to_string(f"portal/email/{template}-subject.txt", context).strip())
            texts.append(render_to_string(f"portal/email/{template}-body.txt", context).strip())
    body = f"{texts[0]}\n\n----------------------------------------\n\n{texts[1]}\n"
    EmailMultiAlternatives(
        subject=f"{subjects[0]} / {subjects[1]}", body=body, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[contact.email],
    ).send()


@transaction.atomic
def contact_invite(
    *, supplier: Supplier, name: str, email: str, language: str, actor=None
) -> tuple[SupplierContact, IssuedLink]:
    """Create (or reuse, by email) the supplier's contact, issue a link and email it."""
    contact = SupplierContact.objects.filter(supplier=supplier, email=(email or "").strip().lower()).first()
    contact = supplier_contact_save(contact=contact, supplier=supplier, actor=actor, name=name, email=email,
                                    language=language, active=True)
    issued = link_issue(contact=contact, actor=actor)
    context = {"contact": contact, "supplier": supplier, "url": issued.url, "expires_at": issued.link.expires_at}
    transaction.on_commit(lambda: _send(contact=contact, template="invitation", context=context))
    return contact, issued


# --- Alerts -------------------------------------------------------------------------------------

SEVERITY = {S.REJECTED: Severity.CRITICAL, S.SUPPLEMENT_REQUESTED: Severity.WARNING, S.APPROVED: Severity.WARNING}


def report_notify_owner(report: SupplierReport) -> None:
    """The application's owner hears of a supplier's report (severity by what changed)."""
    app = report.application
    if app.owner_id is None:
        return
    held = " It is held for your confirmation." if report.status == "held" else " It has been applied."
    ids = notifications_services.alert_user(
        user=app.owner, kind=Kind.SUPPLIER_REPORT, subject_type=SubjectType.APPLICATION, subject_id=app.pk,
        threshold=f"report:{report.pk}", severity=SEVERITY.get(report.to_status, Severity.INFO),
        url=f"/applications/{app.pk}/", context={"report_id": report.pk},
        message=f"{app.reference} ({app.supplier.name}): {report.contact.name} (supplier) reported "
        f"“{S(report.to_status).label}” on {report.on:%-d %b %Y}.{held}",
    )
    if ids:
        transaction.on_commit(lambda: notifications_tasks.queue_emails(ids))


def _alert(*, user, kind: str, subject_type: str, subject_id: int, threshold: str, message: str, url: str,
           context: dict) -> None:
    ids = notifications_services.alert_user(
        user=user, kind=kind, subject_type=subject_type, subject_id=subject_id, threshold=threshold,
        severity=KIND_SEVERITY[kind], url=url, context=context, message=message,
    )
    if ids:
        transaction.on_commit(lambda: notifications_tasks.queue_emails(ids))


def message_notify_owner(message: SupplierMessage) -> None:
    """The application's owner hears of a supplier's message or document."""
    app = message.application
    if app.owner_id is None:
        return
    what = "sent a document" if message.document_id else "wrote"
    if message.regarding:
        what += " for the supplement request" if message.regarding == SupplierMessage.SUPPLEMENT else (
            f" for the checklist item {message.regarding}")
    text = f": {message.text[:300]}" if message.text else "."
    _alert(user=app.owner, kind=Kind.SUPPLIER_MESSAGE, subject_type=SubjectType.APPLICATION, subject_id=app.pk,
           threshold=f"message:{message.pk}", url=reverse("application-detail", args=[app.pk]) + "#supplier-reports",
           context={"message_id": message.pk},
           message=f"{app.reference} ({app.supplier.name}): {message.contact.name} (supplier) {what}{text}")


def customs_answer_notify_owner(answer: CustomsAnswer) -> None:
    """The shipment's owner (``shipments.selectors.shipment_owner``) hears of a supplier's
    answer to a customs hold, and whether it waits for their confirmation."""
    shipment = answer.shipment
    owner = shipment_owner(shipment)
    if owner is None:
        return
    held = " It is held for your confirmation." if answer.status == "held" else " It has been recorded."
    _alert(user=owner, kind=Kind.CUSTOMS_ANSWER, subject_type=SubjectType.SHIPMENT, subject_id=shipment.pk,
           threshold=f"answer:{answer.pk}", url=reverse("shipment-detail", args=[shipment.pk]) + "#customs",
           context={"answer_id": answer.pk},
           message=f"Shipment {shipment.reference} ({shipment.supplier.name}): {answer.answered_by} answered the "
           f"customs hold of {answer.held_on} (answer due {shipment.customs_response_due}).{held}")


# --- Reminders ----------------------------------------------------------------------------------


def stale_applications(contact: SupplierContact, *, today: dt.date, cal) -> list[LicenceApplication]:
    """The contact's open, filed applications without any update for the set working days."""
    limit = settings.PORTAL_REMINDER_WORKING_DAYS
    apps = (
        LicenceApplication.objects.filter(supplier_id=contact.supplier_id, status__in=OPEN_STATUSES)
        .exclude(status__in=[S.DRAFT, S.DOCUMENTS_PENDING])
        .annotate(last_step=Max("events__on"))
        .order_by("id")
    )
    out = []
    for app in apps:
        last = max(d for d in (app.last_step, app.updated_at.date()) if d is not None)
        if cal.working_days_between(last, today) >= limit:
            out.append(app)
    return out


def reminders_send(*, today: dt.date | None = None) -> int:
    """Email each contact with a live link whose applications went quiet; at most one a week
    per contact. Returns how many were sent.

    Only a token's hash is stored, so the reminder cannot repeat the invitation's link: it
    carries a new link (``link_issue``, which revokes the earlier one), so the latest email's
    link is always the one that works. The email is sent inside the transaction: if the mail
    server refuses it, the new link and the reminder are rolled back and the old link still
    opens the portal (docs/supplier-portal.md#reminders)."""
    today = today or clock.today()
    cal = clock.calendar()
    week_ago = today - dt.timedelta(days=7)
    contacts = SupplierContact.objects.filter(
        active=True, supplier__active=True, portal_links__revoked_at__isnull=True,
        portal_links__expires_at__gt=timezone.now(),
    ).exclude(Q(pk__in=PortalReminder.objects.filter(sent_on__gt=week_ago).values("contact_id"))).distinct()
    sent = 0
    for contact in contacts.select_related("supplier"):
        stale = stale_applications(contact, today=today, cal=cal)
        if not stale:
            continue
        with transaction.atomic():
            PortalReminder.objects.create(contact=contact, sent_on=today, applications=[a.pk for a in stale])
            issued = link_issue(contact=contact)
            context = {"contact": contact, "applications": stale, "days": settings.PORTAL_REMINDER_WORKING_DAYS,
                       "url": issued.url, "expires_at": issued.link.expires_at}
            _send(contact=contact, template="reminder", context=context)
        sent += 1
    return sent

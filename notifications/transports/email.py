"""Email through Django's email framework (SMTP from ``EMAIL_URL``; files in the embedded
default). Templates: ``notifications/email/<name>-subject.txt``, ``-body.txt``, ``-body.html``."""

from __future__ import annotations

import hashlib
import smtplib
import socket
from collections.abc import Sequence
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse

from ..models import Delivery, Kind
from . import TransportError


def unsubscribe_url(user_id: int, kind: str) -> str:
    from ..services import unsubscribe_token

    return settings.SITE_URL + reverse("notifications_public:unsubscribe", args=[unsubscribe_token(user_id, kind)])


def render(name: str, context: dict) -> tuple[str, str, str]:
    base = f"notifications/email/{name}"
    subject = " ".join(render_to_string(f"{base}-subject.txt", context).split())
    return subject, render_to_string(f"{base}-body.txt", context), render_to_string(f"{base}-body.html", context)


class BatchContext:
    """What every message of a batch shares, worked out once: the settings link and each
    (user, kind)'s signed unsubscribe link."""

    def __init__(self) -> None:
        self.settings_url = settings.SITE_URL + reverse("my-notifications")
        self._unsubscribe: dict[tuple[int, str], str] = {}

    def unsubscribe_url(self, user_id: int, kind: str) -> str:
        key = (user_id, kind)
        if key not in self._unsubscribe:
            self._unsubscribe[key] = unsubscribe_url(user_id, kind)
        return self._unsubscribe[key]


def _message(
    user, name: str, context: dict, *, unsubscribe_kind: str | None, headers: dict, batch: BatchContext | None = None
) -> EmailMultiAlternatives:
    if not user.email:
        raise TransportError(f"User {user.get_username()} has no email address.", permanent=True)
    batch = batch or BatchContext()
    context = {**context, "user": user, "site_url": settings.SITE_URL, "settings_url": batch.settings_url}
    if unsubscribe_kind:
        context["unsubscribe_url"] = batch.unsubscribe_url(user.pk, unsubscribe_kind)
        context["kind_label"] = Kind(unsubscribe_kind).label
        # RFC 2369 + RFC 8058: mail clients show "Unsubscribe" and POST to it in one click.
        headers = {**headers, "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    subject, text, html = render(name, context)
    msg = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email], headers=headers)
    msg.attach_alternative(html, "text/html")
    return msg


def _msgid_domain() -> str:
    """The right-hand side of our Message-IDs: the sender's domain (RFC 5322 3.6.4)."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


def delivery_message_id(delivery_id: int) -> str:
    """The same for every attempt at one delivery: a message sent twice (its worker died after
    the server accepted it and before the row was marked sent) arrives as a duplicate that mail
    systems and the tests can recognise, not as a second alert (docs/alerts.md, "Recovery")."""
    return f"<alert-delivery.{delivery_id}@{_msgid_domain()}>"


def digest_message_id(delivery_ids: Sequence[int]) -> str:
    """Derived from the deliveries the digest carries: a digest sent again after its worker
    died carries the same rows (the dead claim's), hence the same Message-ID."""
    digest = hashlib.sha256(",".join(str(pk) for pk in sorted(delivery_ids)).encode()).hexdigest()[:24]
    return f"<alert-digest.{digest}@{_msgid_domain()}>"


def alert_message(delivery: Delivery, batch: BatchContext | None = None) -> EmailMultiAlternatives:
    """One alert email; ``batch`` shares the per-user links across the messages of a batch."""
    alert = delivery.alert
    context = {"alert": alert, "link": f"{settings.SITE_URL}{alert.url}" if alert.url else ""}
    # X-Alert-Delivery lets receivers (and the end-to-end tests) recognise a repeat.
    return _message(delivery.user, "alert", context, unsubscribe_kind=alert.kind, batch=batch,
                    headers={"Message-ID": delivery_message_id(delivery.pk), "X-Alert-Delivery": str(delivery.pk),
                             "X-Alert-Kind": alert.kind})


def digest_message(user, deliveries: Sequence[Delivery]) -> EmailMultiAlternatives:
    alerts = [d.alert for d in deliveries]
    for a in alerts:
        a.link = f"{settings.SITE_URL}{a.url}" if a.url else ""
    ids = [d.pk for d in deliveries]
    return _message(user, "digest", {"alerts": alerts}, unsubscribe_kind=None,
                    headers={"Message-ID": digest_message_id(ids), "X-Alert-Digest": ",".join(map(str, ids))})


def classify(exc: Exception) -> TransportError:
    """SMTP 4xx and network trouble can succeed later; 5xx replies cannot."""
    if isinstance(exc, TransportError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return TransportError(f"Recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes),
                              code=max(codes) if codes else None)
    if isinstance(exc, smtplib.SMTPResponseException):
        return TransportError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500,
                              code=exc.smtp_code)
    if isinstance(exc, (smtplib.SMTPException, OSError, socket.timeout)):
        return TransportError(f"{type(exc).__name__}: {exc}", permanent=False)
    raise exc


def send(delivery: Delivery, connection=None) -> None:
    """Send one alert email; raises ``TransportError``. Pass a connection to reuse it."""
    message = alert_message(delivery)
    send_message(message, connection)


def open_connection():
    """An email backend connection opened once: the messages of a batch share its SMTP session
    (a backend's ``send_messages`` keeps a connection it did not open itself)."""
    connection = get_connection()
    try:
        connection.open()
    except Exception as exc:
        raise classify(exc) from exc
    return connection


def send_message(message: EmailMultiAlternatives, connection=None) -> None:
    message.connection = connection or get_connection()
    try:
        if not message.send(fail_silently=False):
            raise TransportError("The email backend accepted nothing.", permanent=False)
    except Exception as exc:
        raise classify(exc) from exc

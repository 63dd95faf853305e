"""Reads of the notifications app: the inbox, the API list, the webhook log, the ICS feed."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Exists, IntegerField, Max, OuterRef, QuerySet, Value, When
from django.urls import reverse

from licensing import clock
from licensing.models import Licence, LicenceStatus, PolicyEvent
from licensing.selectors import clock_running_applications
from shipments.models import PENDING_STATUSES, Shipment, ShipmentStatus

from .models import SEVERITY_RANK, Alert, Delivery, Preference, WebhookDelivery, WebhookEndpoint

INBOX_ORDERS = ("severity", "newest")


def alerts_for_user(
    user, *, kind: str = "", severity: str = "", unread_only: bool = False, order: str = "severity"
) -> QuerySet[Alert]:
    """The user's inbox: alerts delivered to them (any channel, immediate or digest), annotated
    with ``unread``; critical first, then warnings, then info, newest first within each
    (``order="newest"``: newest first only). One query for any page."""
    mine = Delivery.objects.filter(alert=OuterRef("pk"), user=user)
    rank = Case(*[When(severity=s, then=Value(n)) for s, n in SEVERITY_RANK.items()], default=Value(1),
                output_field=IntegerField())
    qs = Alert.objects.filter(Exists(mine)).annotate(unread=Exists(mine.filter(read_at__isnull=True)), rank=rank)
    if kind:
        qs = qs.filter(kind=kind)
    if severity:
        qs = qs.filter(severity=severity)
    if unread_only:
        qs = qs.filter(unread=True)
    if order == "newest":
        return qs.order_by("-created_at", "-id")
    return qs.order_by("-rank", "-created_at", "-id")


def alerts_for_api() -> QuerySet[Alert]:
    return Alert.objects.order_by("-created_at", "-id")


def unread_count(user) -> int:
    return Delivery.objects.filter(user=user, read_at__isnull=True).values("alert").distinct().count()


def webhook_endpoints() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.annotate(last_delivery_at=Max("deliveries__created_at")).order_by("name", "id")


def webhook_recent_deliveries(endpoint: WebhookEndpoint, limit: int = 50) -> QuerySet[WebhookDelivery]:
    return endpoint.deliveries.order_by("-created_at", "-id")[:limit]


def preference_by_ics_token(token: str) -> Preference | None:
    return Preference.objects.select_related("user").filter(ics_token=token, user__is_active=True).first()


def ics_entries(today: dt.date | None = None) -> list[dict]:
    """What the calendar feed shows: decision due dates of running clocks, expiries of active
    licences, ETAs of pending shipments, customs answer-by dates of held shipments and policy
    events from a month back. Five queries."""
    today = today or clock.today()
    entries = []
    for pk, ref, due, name in clock_running_applications().values_list("pk", "reference", "decision_due",
                                                                        "supplier__name"):
        entries.append({"uid": f"app-{pk}-due", "date": due, "summary": f"Decision due: {ref} ({name})",
                        "url": reverse("application-detail", args=[pk])})
    for pk, number, until in Licence.objects.filter(status=LicenceStatus.ACTIVE).values_list(
        "pk", "number", "valid_until"
    ):
        entries.append({"uid": f"licence-{pk}-expiry", "date": until, "summary": f"Licence {number} expires",
                        "url": reverse("licence-detail", args=[pk])})
    for pk, ref, eta in Shipment.objects.filter(status__in=list(PENDING_STATUSES), eta__isnull=False).values_list(
        "pk", "reference", "eta"
    ):
        entries.append({"uid": f"shipment-{pk}-eta", "date": eta, "summary": f"ETA of shipment {ref}",
                        "url": reverse("shipment-detail", args=[pk])})
    for pk, ref, due in Shipment.objects.filter(status=ShipmentStatus.HELD, customs_response_due__isnull=False
                                                ).values_list("pk", "reference", "customs_response_due"):
        entries.append({"uid": f"shipment-{pk}-customs", "date": due,
                        "summary": f"Answer customs by: shipment {ref} (held)",
                        "url": reverse("shipment-detail", args=[pk])})
    for pk, date, title, jurisdiction in PolicyEvent.objects.filter(
        date__gte=today - dt.timedelta(days=31)
    ).values_list("pk", "date", "title", "jurisdiction"):
        entries.append({"uid": f"policy-{pk}", "date": date, "summary": f"[{jurisdiction}] {title}",
                        "url": reverse("policy")})
    return entries

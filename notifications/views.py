"""UI pages (alerts inbox, My notifications, webhooks) and the secret-link endpoints (ICS
feed, one-click unsubscribe). Thin: parse, call a service or selector, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.api.fields import valid_id
from core.permissions import role_required
from core.roles import Role, has_role

from . import ics, selectors, services
from .forms import PreferenceForm, WebhookForm
from .models import KIND_SEVERITY, SEVERITY_RANK, Kind, Severity, WebhookEndpoint


@role_required(Role.VIEWER)
@require_http_methods(["GET", "POST"])
def inbox(request):
    if request.method == "POST":
        # valid_id, not isdigit/int: "²".isdigit() is true and huge numbers overflow the database.
        ids = [pk for pk in map(valid_id, request.POST.getlist("alert")) if pk is not None]
        n = services.alerts_mark_read(user=request.user, alert_ids=None if "all" in request.POST else ids)
        messages.success(request, f"{n} marked read.")
        return redirect(request.get_full_path())
    # Unknown values are ignored (the whole inbox), never an error page.
    kind = request.GET.get("kind", "") if request.GET.get("kind", "") in Kind.values else ""
    severity = request.GET.get("severity", "") if request.GET.get("severity", "") in Severity.values else ""
    order = request.GET.get("order", "") if request.GET.get("order", "") in selectors.INBOX_ORDERS else "severity"
    unread = "unread" in request.GET
    alerts = selectors.alerts_for_user(request.user, kind=kind, severity=severity, unread_only=unread, order=order)
    page = Paginator(alerts, settings.UI_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "notifications/inbox.html", {
        "page": page, "kind": kind, "kinds": Kind.choices, "severity": severity, "severities": Severity.choices,
        "order": order, "unread": unread, "query": query.urlencode(),
    })


@role_required(Role.VIEWER)
@require_http_methods(["GET", "POST"])
def my_notifications(request):
    pref = services.preference_for(request.user)
    recipient = services.Recipient(request.user.pk, pref.kinds, pref.lead_times)
    form = PreferenceForm(recipient=recipient, preference=pref)
    if request.method == "POST" and "regenerate" in request.POST:
        services.preference_regenerate_ics_token(user=request.user)
        messages.success(request, "New calendar link made; the old one no longer works.")
        return redirect("my-notifications")
    if request.method == "POST":
        form = PreferenceForm(request.POST, recipient=recipient, preference=pref)
        if form.is_valid():
            try:
                services.preference_update(user=request.user, **form.service_kwargs())
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, "Notification settings saved.")
                return redirect("my-notifications")
    ics_url = settings.SITE_URL + reverse("notifications_public:ics", args=[pref.ics_token])
    severities = dict(Severity.choices)
    kind_rows = [
        {"field": form[f"mode_{kind.value}"], "severity": KIND_SEVERITY.get(kind, Severity.WARNING),
         "severity_label": severities[KIND_SEVERITY.get(kind, Severity.WARNING)]}
        for kind in sorted(Kind, key=lambda k: -SEVERITY_RANK[KIND_SEVERITY.get(k, Severity.WARNING)])
    ]
    return render(request, "notifications/my_notifications.html", {
        "form": form, "kind_rows": kind_rows, "ics_url": ics_url, "default_zone": settings.ALERT_DEFAULT_TIME_ZONE,
        "default_hour": settings.ALERT_DIGEST_HOUR,
    })


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def webhooks(request):
    form = WebhookForm()
    if request.method == "POST":
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                endpoint = services.webhook_endpoint_save(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                # The secret is shown this once; afterwards only its last characters.
                return render(request, "notifications/webhook_created.html", {"endpoint": endpoint})
    return render(request, "notifications/webhooks.html", {"endpoints": selectors.webhook_endpoints(), "form": form})


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def webhook_detail(request, pk: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    initial = {"name": endpoint.name, "url": endpoint.url, "events": endpoint.events, "active": endpoint.active}
    form = WebhookForm(initial=initial)
    if request.method == "POST":
        if "disable" in request.POST:
            services.webhook_endpoint_save(endpoint=endpoint, active=False)
            messages.success(request, f"Webhook {endpoint.name} disabled.")
            return redirect("webhook-detail", pk=pk)
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                services.webhook_endpoint_save(endpoint=endpoint, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, "Webhook saved.")
                return redirect("webhook-detail", pk=pk)
    return render(request, "notifications/webhook_detail.html", {
        "endpoint": endpoint, "form": form, "deliveries": selectors.webhook_recent_deliveries(endpoint),
    })


def ics_feed(request, token: str):
    """The secret feed URL is the credential: calendar apps cannot log in."""
    pref = selectors.preference_by_ics_token(token)
    if pref is None or not has_role(pref.user, Role.VIEWER):
        raise Http404("No such calendar.")
    response = HttpResponse(ics.feed(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="deadlines.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a session or token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET shows a button (link scanners fetch GETs); POST turns the kind off."""
    try:
        data = signing.loads(token, salt=services.UNSUBSCRIBE_SALT)
        kind = Kind(data["k"])
        if request.method == "POST":
            user, kind = services.unsubscribe(token)
            return render(request, "notifications/unsubscribe.html", {"done": True, "kind": kind, "email": user.email})
    except (signing.BadSignature, KeyError, ValueError, TypeError):
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    return render(request, "notifications/unsubscribe.html", {"kind": kind})

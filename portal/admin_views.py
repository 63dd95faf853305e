"""Procurement's side of the portal on the supplier page: invite a contact, renew or revoke a
link, and choose whether the supplier's reports apply at once (docs/supplier-portal.md)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from core.api.fields import valid_id
from core.permissions import role_required
from core.roles import Role
from suppliers.models import Supplier
from suppliers.services import supplier_save

from . import services
from .models import PortalLink


@role_required(Role.PROCUREMENT)
def supplier_portal(request: HttpRequest, pk: int) -> HttpResponse:
    """POST ``action``: invite (name, email, language), renew or revoke (link), settings."""
    supplier = get_object_or_404(Supplier, pk=pk)
    back = f"/suppliers/{supplier.pk}/#portal"
    if request.method != "POST":
        return redirect(back)
    action = request.POST.get("action")
    try:
        if action == "invite":
            contact, issued = services.contact_invite(
                supplier=supplier, name=request.POST.get("name", ""), email=request.POST.get("email", ""),
                language=request.POST.get("language", "zh-hans"), actor=request.user,
            )
            return render(request, "portal/link_issued.html", {"supplier": supplier, "contact": contact,
                                                                "issued": issued})
        if action == "settings":
            supplier_save(supplier=supplier, actor=request.user,
                          portal_apply_reports=request.POST.get("portal_apply_reports") == "on")
            messages.success(request, "Portal setting saved.")
            return redirect(back)
        link = PortalLink.objects.filter(pk=valid_id(request.POST.get("link")), contact__supplier=supplier).first()
        if link is None:
            messages.error(request, "No such portal link for this supplier.")
        elif action == "renew":
            services.link_renew(link=link)
            messages.success(request, f"Link of {link.contact.name} renewed until {link.expires_at:%d %b %Y}.")
        elif action == "revoke":
            services.link_revoke(link=link)
            messages.success(request, f"Link of {link.contact.name} revoked: it no longer opens anything.")
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            messages.error(request, f"Not done: {field}: {' '.join(errors)}")
    return redirect(back)

"""Panels of the supplier portal's importer side (docs/supplier-portal.md), included with one
line on the application page and the dashboard: held reports (and, on the dashboard, held
customs answers) with confirm/reject, the supplier's messages and documents, the document
checklist, and the applications waiting on the importer's own papers."""

from django import template

from core.roles import Role, has_role

from .. import checklist, reports
from ..models import ReportStatus

register = template.Library()


@register.inclusion_tag("licensing/_supplier_panel.html", takes_context=True)
def application_supplier_panel(context, app):
    request = context["request"]
    return {
        "app": app,
        "can_edit": has_role(request.user, Role.PROCUREMENT),
        "csrf_token": context.get("csrf_token"),
        "held": [r for r in app.supplier_reports.select_related("contact").order_by("created_at", "id")
                 if r.status == ReportStatus.HELD],
        "decided": list(app.supplier_reports.exclude(status=ReportStatus.HELD).select_related("contact")[:10]),
        "supplier_messages": list(app.supplier_messages.select_related("contact", "document")[:20]),
        "checklist": list(checklist.checklist_ensure(app)),
    }


@register.inclusion_tag("licensing/_supplier_dashboard.html", takes_context=True)
def dashboard_supplier_panel(context, limit=10, customs_answers=(), more_customs_answers=False):
    """``customs_answers``: suppliers' customs answers held for confirmation, read by the page
    that includes the panel (shipments sit above licensing, so this tag cannot read them); each
    row's Confirm / Reject posts to the shipment's customs-answer door, as on the shipment page."""
    request = context["request"]
    waiting = checklist.applications_waiting_on_papers().select_related("supplier").order_by("decision_due", "id")
    waiting = list(waiting[: limit + 1])  # one more than shown tells whether there are more
    return {
        "can_edit": has_role(request.user, Role.PROCUREMENT),
        "csrf_token": context.get("csrf_token"),
        "held": list(reports.held_reports()[:limit]),
        "customs_answers": list(customs_answers)[:limit],
        "more_customs_answers": more_customs_answers or len(customs_answers) > limit,
        "waiting": waiting[:limit],
        "more_waiting": len(waiting) > limit,
        "path": request.path,
    }

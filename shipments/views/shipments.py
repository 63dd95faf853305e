"""Shipment pages: list, detail, create/edit with lines and the over-draw rule (docs/architecture.md#drawdown)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from core.api.fields import valid_id
from core.exports import Column, field, label
from core.permissions import role_required
from core.roles import Role, has_role
from core.views import ListSpec, apply_errors, list_page
from licensing import clock
from licensing.forms import DocumentForm, ItemChoices, lines_data
from licensing.models import Document
from licensing.views.documents import document_upload

from .. import services
from ..forms import ShipmentForm, ShipmentLineFormSet
from ..models import PENDING_STATUSES, CustomsAnswerStatus, Shipment, ShipmentStatus
from ..selectors import licence_suggestion, shipments_for_display, shipments_for_export
from .filters import ShipmentFilter


def decorate_risk(rows: list[Shipment]) -> None:
    """The risk badges of shipments read through ``selectors.with_hold_answer``: a held
    shipment stays at risk until customs releases it, and its badge says whether the hold is
    answered, has a supplier's answer to confirm, or still needs an answer by its date."""
    today = clock.today()
    for s in rows:
        s.ui_late = s.status in PENDING_STATUSES and s.eta is not None and s.eta < today
        s.ui_held = s.status == ShipmentStatus.HELD and s.customs_response_due is not None
        s.ui_hold_answered = s.ui_held and s.hold_answered
        s.ui_answer_to_confirm = s.ui_held and not s.hold_answered and bool(s.answer_waiting_from)
        s.ui_after_expiry = s.status in ("planned", "booked") and s.ships_after_expiry
        s.ui_risk = s.ui_late or s.ui_held or s.ui_after_expiry


def _lines_text(row: dict) -> str:
    return "; ".join(f"{line['item__code']} {line['quantity'].normalize():f} {line['unit']}" for line in row["lines"])


# The export reads rows as dicts (shipments_for_export): no model instance per shipment.
SHIPMENT_COLUMNS = [
    Column("Reference", field("reference"), 18),
    Column("ERP reference", field("external_ref")),
    Column("Supplier", field("supplier__name"), 28),
    Column("Purchase order", lambda r: r["purchase_order__number"] or ""),
    Column("Licence", lambda r: r["licence__number"] or ""),
    Column("Status", label(Shipment, "status")),
    Column("Transport", field("transport_mode"), 9),
    Column("Planned ship date", field("planned_ship_date"), 12),
    Column("Actual ship date", field("actual_ship_date"), 12),
    Column("ETA", field("eta"), 12),
    Column("Arrived on", field("arrived_on"), 12),
    Column("Customs response due", field("customs_response_due"), 12),
    Column("Customs question", field("customs_question"), 40),
    Column("Ships after expiry", field("ships_after_expiry"), 10),
    Column("Lines", _lines_text, 40),
]

SHIPMENT_LIST = ListSpec(
    template="shipments/shipment_list.html",
    filterset_class=ShipmentFilter,
    sorts={
        "reference": ["reference"],
        "supplier": ["supplier__name"],
        "status": ["status"],
        "etd": ["planned_ship_date"],
        "eta": ["eta"],
    },
    default_sort="-etd",
    columns=SHIPMENT_COLUMNS,
    export_rows=shipments_for_export,
    export_name="shipments",
    title="Shipments",
    decorate=decorate_risk,
)


@role_required(Role.VIEWER)
def shipment_list(request: HttpRequest) -> HttpResponse:
    return list_page(request, SHIPMENT_LIST, shipments_for_display())


@role_required(Role.VIEWER)
def shipment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = get_object_or_404(
        shipments_for_display()
        .select_related("override_by")
        .prefetch_related(
            Prefetch("document_links__document", queryset=Document.objects.select_related("uploaded_by"))
        ),
        pk=pk,
    )
    decorate_risk([shipment])
    lines = list(shipment.lines.all())
    suggested = None
    if shipment.licence_id is None and lines and shipment.status != ShipmentStatus.CANCELLED:
        suggested = licence_suggestion(
            supplier_id=shipment.supplier_id,
            lines=[{"item": line.item_id, "quantity": line.quantity, "unit": line.unit} for line in lines],
            ship_date=shipment.planned_ship_date,
        )
    can_edit = has_role(request.user, Role.PROCUREMENT)
    return render(
        request,
        "shipments/shipment_detail.html",
        {
            "shipment": shipment,
            "lines": lines,
            "suggested": suggested,
            "can_edit": can_edit,
            "documents": [link.document for link in shipment.document_links.all()],
            "customs_answers": list(shipment.customs_answers.select_related("contact", "document", "decided_by")),
            "document_form": DocumentForm() if can_edit else None,
        },
    )


def _edit(request: HttpRequest, shipment: Shipment | None) -> HttpResponse:
    items = ItemChoices()
    can_force = has_role(request.user, Role.COMPLIANCE)
    initial_lines = (
        [{"item": line.item_id, "quantity": line.quantity, "unit": line.unit} for line in shipment.lines.all()]
        if shipment
        else []
    )
    overdraw = False
    if request.method == "POST":
        form = ShipmentForm(request.POST, instance=shipment, can_force=can_force)
        lines = ShipmentLineFormSet(request.POST, prefix="lines", form_kwargs={"items": items}, initial=initial_lines)
        if form.is_valid() and lines.is_valid():
            fields = {name: form.cleaned_data[name] for name in ShipmentForm.Meta.fields}
            try:
                saved = services.shipment_save(
                    shipment=shipment,
                    lines=lines_data(lines),
                    licence=form.cleaned_data["licence"],
                    force=bool(form.cleaned_data.get("force")),
                    override_note=form.cleaned_data.get("override_note", ""),
                    actor=request.user,
                    **fields,
                )
            except ValidationError as exc:
                overdraw = (
                    any(e.code == "overdraw" for errors in exc.error_dict.values() for e in errors)
                    if hasattr(exc, "error_dict")
                    else False
                )
                apply_errors(exc, form, formsets={"lines": lines})
                if overdraw:
                    form.add_error(None, "Over-draw refused: this shipment asks for more than the licence has left.")
            else:
                messages.success(request, f"Shipment {saved.reference} saved.")
                if saved.overdraw_override and form.cleaned_data.get("force"):
                    messages.warning(request, "The over-draw was forced; your note is recorded on the shipment.")
                for warning in saved.warnings:
                    messages.warning(request, warning)
                if saved.licence_id is None and saved.suggested_licence:
                    messages.info(request, f"Suggested licence: {saved.suggested_licence.number}.")
                return redirect("shipment-detail", pk=saved.pk)
    else:
        # "Assign it" on a shipment's page links here with ?licence=<the suggested licence>.
        suggested = request.GET.get("licence", "")
        initial = {"licence": int(suggested)} if suggested.isdigit() else {}
        form = ShipmentForm(instance=shipment, can_force=can_force, initial=initial)
        lines = ShipmentLineFormSet(prefix="lines", form_kwargs={"items": items}, initial=initial_lines)
    return render(
        request,
        "shipments/shipment_form.html",
        {"form": form, "lines": lines, "shipment": shipment, "overdraw": overdraw, "can_force": can_force},
    )


@role_required(Role.PROCUREMENT)
def shipment_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@role_required(Role.PROCUREMENT)
def shipment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_object_or_404(Shipment.objects.prefetch_related("lines"), pk=pk))


@role_required(Role.PROCUREMENT)
def shipment_document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = get_object_or_404(Shipment, pk=pk)
    return document_upload(
        request,
        back=reverse("shipment-detail", args=[shipment.pk]),
        attach=services.shipment_document_attach,
        shipment=shipment,
    )


@role_required(Role.PROCUREMENT)
def shipment_customs_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """POST ``text`` and an optional ``file``: procurement's answer to the customs hold; or
    ``answer`` (id) with ``decision`` (confirm | reject, with ``reason``) on a supplier's
    held answer. All through ``services.customs_answer_*`` (docs/architecture.md#customs-holds)."""
    shipment = get_object_or_404(Shipment, pk=pk)
    back = reverse("shipment-detail", args=[shipment.pk]) + "#customs"
    if request.method != "POST":
        return redirect(back)
    # The dashboard's panel sends its own path back; only a path on this site is followed.
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        back = next_url
    decision = request.POST.get("decision")
    try:
        if decision in ("confirm", "reject"):
            answer = shipment.customs_answers.filter(
                pk=valid_id(request.POST.get("answer")), status=CustomsAnswerStatus.HELD
            ).first()
            if answer is None:
                messages.error(request, "That answer is not waiting for confirmation.")
            elif decision == "confirm":
                services.customs_answer_apply(answer=answer, actor=request.user)
                messages.success(request, f"Confirmed the customs answer by {answer.answered_by}.")
            else:
                services.customs_answer_reject(answer=answer, actor=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, f"Rejected the customs answer by {answer.answered_by}; they will see why.")
        else:
            services.customs_answer_record(
                shipment=shipment, text=request.POST.get("text", ""), file=request.FILES.get("file"), actor=request.user
            )
            messages.success(request, "Customs answer recorded.")
    except ValidationError as exc:
        for field_messages in exc.message_dict.values():
            messages.error(request, f"Not done: {' '.join(field_messages)}")
    return redirect(back)

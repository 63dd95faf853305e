"""Application pages: the list, the detail with its clock and timeline, the workflow and forms."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from core.exports import Column
from core.permissions import role_required
from core.roles import Role, has_role
from core.views import ListSpec, apply_errors, list_page

from .. import clock, services
from ..forms import (
    ApplicationForm,
    ApplicationLineFormSet,
    ApprovedLicenceForm,
    CorrectionForm,
    DocumentForm,
    ItemChoices,
    LicenceLineFormSet,
    TransitionForm,
    lines_data,
)
from ..models import ApplicationEvent, ApplicationStatus, Document, LicenceApplication
from ..models.applications import CLOCK_STATUSES
from ..selectors import application_clock
from .filters import ApplicationFilter


def decorate_clocks(rows: list[LicenceApplication], *, cal: clock.WorkingCalendar | None = None) -> None:
    """Overdue and working days left from the stored due date: no query per row (none at all
    when the caller passes the calendar it already loaded)."""
    today = clock.today()
    cal = cal or clock.calendar()
    for app in rows:
        running = app.status in CLOCK_STATUSES and app.decision_due is not None
        app.ui_overdue = running and app.decision_due < today
        app.ui_days_left = cal.working_days_between(today, app.decision_due) if running else None
        app.ui_paused = app.status == ApplicationStatus.SUPPLEMENT_REQUESTED


def _items(app: LicenceApplication) -> str:
    return "; ".join(f"{line.item.code} {line.quantity.normalize():f} {line.unit}" for line in app.lines.all())


APPLICATION_COLUMNS = [
    Column("Reference", lambda a: a.reference, 15),
    Column("ERP reference", lambda a: a.external_ref),
    Column("Supplier", lambda a: a.supplier.name, 28),
    Column("Status", lambda a: a.get_status_display()),
    Column("Kind", lambda a: a.kind, 9),
    Column("End user", lambda a: a.end_user, 24),
    Column("Destination", lambda a: a.destination_country, 10),
    Column("Items", _items, 30),
    Column("Submitted on", lambda a: a.submitted_on, 12),
    Column("Accepted on", lambda a: a.accepted_on, 12),
    Column("Decision due", lambda a: a.decision_due, 12),
    Column("Due date estimated", lambda a: a.decision_due_estimated, 10),
    Column("Decided on", lambda a: a.decided_on, 12),
    Column("Working days to decision", lambda a: a.decision_working_days, 10),
    Column("MOFCOM number", lambda a: a.mofcom_number),
]

APPLICATION_LIST = ListSpec(
    template="licensing/application_list.html",
    filterset_class=ApplicationFilter,
    sorts={
        "reference": ["reference"],
        "supplier": ["supplier__name"],
        "status": ["status"],
        "due": ["decision_due"],
        "accepted": ["accepted_on"],
        "updated": ["updated_at"],
    },
    default_sort="-updated",
    columns=APPLICATION_COLUMNS,
    export_name="applications",
    title="Applications",
    decorate=decorate_clocks,
)


@role_required(Role.VIEWER)
def application_list(request: HttpRequest) -> HttpResponse:
    queryset = LicenceApplication.objects.select_related("supplier").prefetch_related("lines__item")
    return list_page(request, APPLICATION_LIST, queryset)


def correction_questions(app: LicenceApplication, events: list[ApplicationEvent]) -> tuple[dict[str, str], str]:
    """What correcting the last standing step would do, as the confirmation dialog asks it
    (``{action: question}``), and why an undo is refused (the licence is drawn), if it is."""
    if not events:
        return {}, ""
    plan = services.correction_consequences(app, "undo")
    step = events[-1]
    what = f"“{step.get_to_status_display()}” of {step.on:%-d %b %Y} on {app.reference}"
    kept = "The step stays in the timeline, marked voided with your name and reason."
    licences = ", ".join(lic.number for lic in plan["licences"])
    undo = (
        f"Undo {what}? The status goes back to {ApplicationStatus(plan['back_to']).label}, and the statutory "
        f"clock, the due date and the prediction are recomputed without it."
        + (f" Licence {licences}, granted by this approval, is revoked." if licences else "")
        + f" {kept}"
    )
    redate = (
        f"Give {what} the new date? The step is recorded again on that date and the clock, the due date and the "
        f"prediction follow it."
        + (f" Licence {licences} keeps its validity: change it on the licence if it moves too." if licences else "")
        + f" {kept}"
    )
    questions = {"redate": redate} if plan["blocked"] else {"undo": undo, "redate": redate}
    return questions, plan["blocked"]


def _detail_context(request: HttpRequest, app: LicenceApplication, **forms) -> dict:
    timeline = list(app.timeline)  # with the voided steps, marked
    events = [e for e in timeline if e.voided_at is None]  # the steps that stand: the clock's
    can_edit = has_role(request.user, Role.PROCUREMENT)
    if has_role(request.user, Role.COMPLIANCE) and events:
        questions, forms["correction_blocked"] = correction_questions(app, events)
        if "correction_form" not in forms:
            forms["correction_form"] = CorrectionForm(questions=questions, initial={"on": events[-1].on})
    app_lines = list(app.lines.all())
    if can_edit and app.allowed_transitions and "transition_form" not in forms:
        items = ItemChoices()
        forms["transition_form"] = TransitionForm(application=app, initial={"on": clock.today()})
        # The licence part is optional (only for "approved"): no browser-side "required".
        forms["licence_form"] = ApprovedLicenceForm(
            prefix="licence", initial={"valid_from": clock.today()}, use_required_attribute=False
        )
        forms["licence_lines"] = LicenceLineFormSet(
            prefix="licence_lines",
            form_kwargs={"items": items, "use_required_attribute": False},
            initial=[
                {"item": line.item_id, "approved_quantity": line.quantity, "unit": line.unit} for line in app_lines
            ],
        )
    return {
        "app": app,
        "clock": application_clock(app, events=events),
        "events": timeline,
        "last_step": events[-1] if events else None,
        "lines": app_lines,
        "documents": list(app.documents.all()),
        "licences": list(app.licences.all()),
        "supplement_rule": settings.SUPPLEMENT_PAUSES_CLOCK,
        "review_days": clock.review_period(app.kind),
        "can_edit": can_edit,
        "document_form": forms.pop("document_form", None) or (DocumentForm() if can_edit else None),
        "statuses": ApplicationStatus,
        **forms,
    }


def _application(pk: int) -> LicenceApplication:
    queryset = LicenceApplication.objects.select_related("supplier", "purchase_order", "owner").prefetch_related(
        "lines__item",
        Prefetch(
            "events", to_attr="timeline",
            queryset=ApplicationEvent.with_voided.select_related("recorded_by", "voided_by", "replaces")
            .order_by("on", "id"),
        ),
        Prefetch("documents", queryset=Document.objects.select_related("uploaded_by")),
        "licences__lines__item",
    )
    return get_object_or_404(queryset, pk=pk)


@role_required(Role.VIEWER)
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    app = _application(pk)
    return render(request, "licensing/application_detail.html", _detail_context(request, app))


@role_required(Role.PROCUREMENT)
def application_transition(request: HttpRequest, pk: int) -> HttpResponse:
    """POST one step of the workflow; only the moves the table allows are offered and accepted."""
    app = _application(pk)
    if request.method != "POST":
        return redirect(app_url(app))
    items = ItemChoices()
    form = TransitionForm(request.POST, application=app)
    licence_form = ApprovedLicenceForm(request.POST, prefix="licence", use_required_attribute=False)
    licence_lines = LicenceLineFormSet(
        request.POST, prefix="licence_lines", form_kwargs={"items": items, "use_required_attribute": False}
    )
    with_licence = request.POST.get("to") == ApplicationStatus.APPROVED and request.POST.get("record_licence")
    valid = form.is_valid() and (not with_licence or (licence_form.is_valid() and licence_lines.is_valid()))
    if valid:
        licence = None
        if with_licence:
            licence = {**licence_form.cleaned_data, "lines": lines_data(licence_lines)}
        try:
            services.application_transition(
                application=app,
                to=form.cleaned_data["to"],
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
                licence=licence,
                actor=request.user,
            )
        except ValidationError as exc:
            apply_errors(exc, form, formsets={"licence.lines": licence_lines}, prefixed={"licence.": licence_form})
        else:
            messages.success(request, f"{app.reference} moved to {ApplicationStatus(form.cleaned_data['to']).label}.")
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = app_url(app)
                return response
            return redirect(app_url(app))
    ctx = _detail_context(request, app, transition_form=form, licence_form=licence_form, licence_lines=licence_lines)
    if request.htmx:
        return render(request, "licensing/application_detail.html#workflow", ctx, status=422)
    return render(request, "licensing/application_detail.html", ctx, status=422)


@role_required(Role.COMPLIANCE)
def application_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """POST a correction of the last step (compliance only: others get the 403 page saying so)."""
    app = _application(pk)
    if request.method != "POST":
        return redirect(app_url(app))
    standing = [e for e in app.timeline if e.voided_at is None]
    # Both actions are accepted here, so that a refused undo gets the service's own message; the
    # questions are the page's, so that a form shown again with its errors still confirms.
    questions, blocked = correction_questions(app, standing)
    form = CorrectionForm(
        request.POST, questions={"undo": questions.get("undo", blocked), "redate": questions.get("redate", "")}
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.application_correct_last_step(
                application=app, action=data["action"], on=data["on"], reason=data["reason"], actor=request.user
            )
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            step = standing[-1]  # the service refuses an application without steps
            done = "undone" if data["action"] == "undo" else f"re-dated to {data['on']:%-d %b %Y}"
            messages.success(request, f"“{step.get_to_status_display()}” of {step.on:%-d %b %Y} {done}.")
            return redirect(app_url(app))
    app = _application(pk)
    return render(request, "licensing/application_detail.html", _detail_context(request, app, correction_form=form),
                  status=422)


def app_url(app: LicenceApplication) -> str:
    return reverse("application-detail", args=[app.pk])


def _edit(request: HttpRequest, app: LicenceApplication | None) -> HttpResponse:
    items = ItemChoices()
    initial_lines = (
        [
            {
                "item": line.item_id,
                "quantity": line.quantity,
                "unit": line.unit,
                "value": line.value,
                "currency": line.currency,
            }
            for line in app.lines.all()
        ]
        if app
        else []
    )
    if request.method == "POST":
        form = ApplicationForm(request.POST, instance=app)
        lines = ApplicationLineFormSet(
            request.POST, prefix="lines", form_kwargs={"items": items}, initial=initial_lines
        )
        if form.is_valid() and lines.is_valid():
            fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
            try:
                if app is None:
                    app = services.application_create(lines=lines_data(lines), actor=request.user, **fields)
                    messages.success(request, f"Application {app.reference} created as a draft.")
                else:
                    app = services.application_update(
                        application=app, lines=lines_data(lines), actor=request.user, **fields
                    )
                    messages.success(request, f"{app.reference} saved.")
            except ValidationError as exc:
                apply_errors(exc, form, formsets={"lines": lines})
            else:
                return redirect(app_url(app))
    else:
        form = ApplicationForm(instance=app)
        lines = ApplicationLineFormSet(prefix="lines", form_kwargs={"items": items}, initial=initial_lines)
    return render(request, "licensing/application_form.html", {"form": form, "lines": lines, "app": app})


@role_required(Role.PROCUREMENT)
def application_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@role_required(Role.PROCUREMENT)
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_object_or_404(LicenceApplication.objects.prefetch_related("lines"), pk=pk))

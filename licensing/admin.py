"""Admin pages for the licensing core. Writes that carry rules go through the services:
applications, policy events and the calendar through licensing.services (clock refresh,
lead days, calendar changes); a licence's header, revocation and reinstatement through
shipments.services.licence_change (its status follows its balances and dates, so it is
read-only here, as are its lines: what MOFCOM approved). A refused write shows as a form
error (``ServiceAdminMixin``), never a server error."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from . import rules, services
from .models import (
    ApplicationEvent,
    ApplicationLine,
    CalendarOverride,
    ControlledItem,
    ControlWindow,
    Document,
    Licence,
    LicenceApplication,
    LicenceLine,
    PendingDecision,
    PolicyEvent,
    PublishedCalendarYear,
    Scenario,
    ScenarioOutcome,
)


class _DryRun(Exception):
    """Rolls back the trial run of a service in ``ServiceAdminForm.clean()``."""


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's refusal (a DomainError, keyed by field) on the form."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for name, messages_ in errors.items():
        form.add_error(name if name in form.fields else None, messages_)


def try_service(form: forms.BaseForm, call: Callable[[], Any]) -> None:
    """Run ``call`` in a savepoint that is always rolled back, so that a refused change shows
    as a form error instead of a server error; ``save_model`` then runs the service for real."""
    try:
        with transaction.atomic():
            call()
            raise _DryRun
    except _DryRun:
        pass
    except ValidationError as exc:
        add_service_errors(form, exc)


def copy_saved_state(saved, obj) -> None:
    """Give the admin's ``obj`` the saved row's state, so inline formsets and the log attach to it."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


class ServiceAdminForm(forms.ModelForm):
    """Tries the admin's ``service_save`` in ``clean()`` (see ``try_service``)."""

    service_admin: ServiceAdminMixin | None = None
    service_request = None

    def clean(self):
        cleaned = super().clean()
        if not self.errors and self.service_admin is not None:
            change = self.instance.pk is not None
            # A copy: the services set fields (and a new row's pk) on the instance they get.
            instance = copy.copy(self.instance)
            try_service(self, lambda: self.service_admin.service_save(self.service_request, instance, self, change))
        return cleaned


class ServiceAdminMixin:
    """``save_model`` goes through ``service_save(request, obj, form, change)``, which returns
    the saved instance; the form tries it first, so a refusal is a form error."""

    form = ServiceAdminForm

    def service_save(self, request, obj, form, change):
        raise NotImplementedError

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.service_admin, form.service_request = self, request
        return form

    def save_model(self, request, obj, form, change):
        copy_saved_state(self.service_save(request, obj, form, change), obj)


def changed_fields(form: forms.ModelForm, change: bool, allowed) -> dict[str, Any]:
    """The form's values a service may take: the changed ones on a change, all on an add."""
    names = form.changed_data if change else form.cleaned_data
    return {name: form.cleaned_data[name] for name in names if name in allowed}


class ControlWindowInline(admin.TabularInline):
    model = ControlWindow
    extra = 0
    fields = ["kind", "starts_on", "ends_on", "decision", "announcement", "source_url"]


@admin.register(ControlledItem)
class ControlledItemAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "elements", "form", "control_code", "licensing_required")
    list_filter = ("form", "licensing_required", "is_reference")
    search_fields = ("code", "name", "elements", "hs_codes")
    inlines = [ControlWindowInline]


class ApplicationLineInline(admin.TabularInline):
    model = ApplicationLine
    extra = 0
    autocomplete_fields = ("item",)


class ApplicationEventInline(admin.TabularInline):
    # The timeline is written only by the transition service: read-only here.
    model = ApplicationEvent
    extra = 0
    can_delete = False
    fields = ("from_status", "to_status", "on", "note", "recorded_by", "api_client", "recorded_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LicenceApplication)
class LicenceApplicationAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ("reference", "supplier", "status", "accepted_on", "decision_due", "decided_on", "external_ref")
    list_filter = ("status", "kind", "time_limit_exemption")
    search_fields = ("reference", "external_ref", "mofcom_number", "end_user", "supplier__name")
    readonly_fields = (
        "reference", "status", "submitted_on", "accepted_on", "decided_on", "closed_on", "decision_due",
        "decision_due_estimated", "decision_working_days", "predicted_decision_p50", "predicted_decision_p90",
    )
    autocomplete_fields = ("supplier", "purchase_order", "owner")
    inlines = [ApplicationLineInline, ApplicationEventInline]
    date_hierarchy = "created_at"

    def service_save(self, request, obj, form, change):
        fields = changed_fields(form, change, services.APPLICATION_FIELDS)
        if change:
            # application_update recomputes the clock when the kind or the exemption changed.
            return services.application_update(application=obj, actor=request.user, **fields)
        return services.application_create(actor=request.user, **fields)  # draft, with its reference


class LicenceLineInline(admin.TabularInline):
    # What MOFCOM approved: read-only (a changed quantity would leave the status stale).
    model = LicenceLine
    extra = 0
    can_delete = False
    fields = readonly_fields = ("item", "approved_quantity", "unit")

    def has_add_permission(self, request, obj=None):
        return False


LICENCE_HEADER_FIELDS = frozenset({"number", "kind", "valid_from", "valid_until", "notes", "external_ref"})


@admin.register(Licence)
class LicenceAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    """Licences are recorded with their lines through the UI or the API (licence_create); here
    the header can be corrected. The status is read-only: it follows the balances and dates.
    shipments.admin registers a subclass that saves through shipments.services.licence_change
    (which keeps the status in step) and adds the revoke and reinstate actions; licensing cannot
    import shipments (dependencies point one way, docs/architecture.md#layers)."""

    list_display = ("number", "supplier", "kind", "valid_from", "valid_until", "status")
    list_filter = ("status", "kind")
    search_fields = ("number", "external_ref", "supplier__name")
    readonly_fields = ("supplier", "application", "status")
    inlines = [LicenceLineInline]

    def has_add_permission(self, request):
        return False

    def service_save(self, request, obj, form, change):
        fields = changed_fields(form, change, LICENCE_HEADER_FIELDS)
        return services.licence_update(licence=obj, actor=request.user, **fields)


@admin.register(Document)
class DocumentAdmin(SimpleHistoryAdmin):
    """Read-only: files come in through the upload service (content checks), on the pages of the
    application, licence or shipment they belong to."""

    list_display = ("original_name", "kind", "application", "licence", "valid_until", "uploaded_at")
    list_filter = ("kind",)
    readonly_fields = (
        "application", "licence", "kind", "file", "original_name", "content_type", "size", "valid_until",
        "uploaded_by", "uploaded_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)


@admin.register(PolicyEvent)
class PolicyEventAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    """Saves through policy_event_save, which checks ``lead_days`` (the alert scan compares them
    as whole numbers) and derives the items from the elements when none are picked."""

    list_display = ("date", "title", "jurisdiction", "kind", "confidence")
    list_filter = ("jurisdiction", "kind", "confidence")
    search_fields = ("title", "summary")
    filter_horizontal = ("items",)

    def service_save(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in (form.changed_data if change else form.cleaned_data)}
        if not change and not fields.get("items"):
            fields.pop("items", None)  # none picked: the service derives them from the elements
        return services.policy_event_save(event=obj if change else None, actor=request.user, **fields)

    def save_related(self, request, form, formsets, change):
        # The service has set the items already; form.save_m2m() would overwrite derived ones.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class CalendarAdminMixin:
    """Saving or deleting goes through the calendar services, which recompute every stored
    application clock at once. Held shipments' customs windows follow on commit (suppliers
    listens to ``calendar_changed``), and the periodic scan repairs them if that wake-up is lost."""

    save_service = delete_service = None
    instance_kwarg = ""

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.cleaned_data}
        existing = obj if change else None
        saved = type(self).save_service(**{self.instance_kwarg: existing}, actor=request.user, **fields)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        type(self).delete_service(**{self.instance_kwarg: obj}, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(CalendarAdminMixin, SimpleHistoryAdmin):
    list_display = ("date", "kind", "note")
    save_service = services.calendar_override_save
    delete_service = services.calendar_override_delete
    instance_kwarg = "override"


@admin.register(PublishedCalendarYear)
class PublishedCalendarYearAdmin(CalendarAdminMixin, SimpleHistoryAdmin):
    list_display = ("year", "source")
    save_service = services.published_year_save
    delete_service = services.published_year_delete
    instance_kwarg = "published"



# -- Control rules as dated data (docs/exposure.md) ------------------------------------------


@admin.register(PendingDecision)
class PendingDecisionAdmin(SimpleHistoryAdmin):
    """Compliance records the real outcome here; the service refreshes the items' flags."""

    list_display = ["title", "scheduled_end", "outcome", "extended_until"]
    readonly_fields = ["decided_by"]

    def save_model(self, request, obj, form, change):
        if obj.outcome:
            rules.decision_record_outcome(
                decision=obj, outcome=obj.outcome, extended_until=obj.extended_until,
                source=obj.outcome_source, actor=request.user,
            )
        else:
            obj.save()


class ScenarioOutcomeInline(admin.TabularInline):
    model = ScenarioOutcome
    extra = 0


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ["name", "is_reference"]
    inlines = [ScenarioOutcomeInline]

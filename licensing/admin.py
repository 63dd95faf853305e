"""Admin pages for the licensing core. Writes that carry rules go through licensing.services
(clock refresh, calendar changes), so the admin cannot bypass them."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import (
    ApplicationEvent,
    ApplicationLine,
    CalendarOverride,
    ControlledItem,
    Document,
    Licence,
    LicenceApplication,
    LicenceLine,
    PolicyEvent,
    PublishedCalendarYear,
)


@admin.register(ControlledItem)
class ControlledItemAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "elements", "form", "control_code", "licensing_required")
    list_filter = ("form", "licensing_required", "is_reference")
    search_fields = ("code", "name", "elements", "hs_codes")


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
class LicenceApplicationAdmin(SimpleHistoryAdmin):
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

    def save_model(self, request, obj, form, change):
        fields = {
            name: form.cleaned_data[name]
            for name in (form.changed_data if change else form.cleaned_data)
            if name in services.APPLICATION_FIELDS
        }
        if change:
            # application_update recomputes the clock when the kind or the exemption changed.
            saved = services.application_update(application=obj, actor=request.user, **fields)
        else:
            saved = services.application_create(actor=request.user, **fields)  # draft, with its reference
        # The inline formsets hold ``obj``: give it the saved row's state so they attach to it.
        for field in saved._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db


class LicenceLineInline(admin.TabularInline):
    model = LicenceLine
    extra = 0
    autocomplete_fields = ("item",)


@admin.register(Licence)
class LicenceAdmin(SimpleHistoryAdmin):
    list_display = ("number", "supplier", "kind", "valid_from", "valid_until", "status")
    list_filter = ("status", "kind")
    search_fields = ("number", "external_ref", "supplier__name")
    autocomplete_fields = ("supplier", "application")
    inlines = [LicenceLineInline]


@admin.register(Document)
class DocumentAdmin(SimpleHistoryAdmin):
    list_display = ("original_name", "kind", "application", "licence", "shipment", "valid_until", "uploaded_at")
    list_filter = ("kind",)
    raw_id_fields = ("application", "licence", "shipment")


@admin.register(PolicyEvent)
class PolicyEventAdmin(SimpleHistoryAdmin):
    list_display = ("date", "title", "jurisdiction", "kind", "confidence")
    list_filter = ("jurisdiction", "kind", "confidence")
    search_fields = ("title", "summary")
    filter_horizontal = ("items",)


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

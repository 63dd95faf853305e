from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

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


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(SimpleHistoryAdmin):
    list_display = ("date", "kind", "note")


@admin.register(PublishedCalendarYear)
class PublishedCalendarYearAdmin(SimpleHistoryAdmin):
    list_display = ("year", "source")

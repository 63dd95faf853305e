from django.contrib import admin

from .models import Alert, Delivery, Preference, WebhookDelivery, WebhookEndpoint


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "subject_type", "subject_id", "threshold", "severity")
    list_filter = ("kind", "severity", "subject_type")
    search_fields = ("message", "threshold")
    date_hierarchy = "created_at"


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "alert", "user", "channel", "mode", "status", "attempts", "sent_at")
    list_filter = ("status", "mode", "channel")
    raw_id_fields = ("alert", "user")
    search_fields = ("user__username", "user__email", "last_error")


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "time_zone", "digest_hour", "last_digest_on")
    raw_id_fields = ("user",)
    exclude = ("ics_token",)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "active", "consecutive_failures", "created_at")
    list_filter = ("active",)
    exclude = ("secret",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "endpoint", "event_key", "status", "attempts", "response_code", "sent_at")
    list_filter = ("status", "event_type")
    raw_id_fields = ("endpoint",)

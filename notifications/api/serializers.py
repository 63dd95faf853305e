"""Representations of docs/architecture.md#api: alert (read-only) and webhook endpoint."""

from rest_framework import serializers

from ..models import Alert, WebhookDelivery, WebhookEndpoint
from ..services import WEBHOOK_EVENT_TYPES


class AlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alert
        fields = ["id", "kind", "subject_type", "subject_id", "threshold", "due_on", "severity", "message", "url",
                  "context", "created_at"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "event_type", "event_key", "status", "attempts", "response_code", "last_error", "sent_at",
                  "created_at"]
        read_only_fields = fields


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """The secret is write-only, except in the answer to the create call (shown once)."""

    events = serializers.ListField(child=serializers.ChoiceField(choices=WEBHOOK_EVENT_TYPES), required=False)
    secret = serializers.CharField(write_only=True, required=False, min_length=16, max_length=100)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "name", "url", "secret", "events", "active", "consecutive_failures", "disabled_reason",
                  "created_at", "updated_at"]
        read_only_fields = ["id", "consecutive_failures", "disabled_reason", "created_at", "updated_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """The answer to the create call: the only time the secret is shown."""

    secret = serializers.CharField(read_only=True)

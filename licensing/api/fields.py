"""API fields of the licensing core, shared with the suppliers API (which may import licensing;
core may not, so this lives here rather than in core.api.fields)."""

from rest_framework import serializers

from licensing.models import ControlledItem


class ItemCodeField(serializers.SlugRelatedField):
    """A controlled item, written and read by its ``code``."""

    default_error_messages = {"does_not_exist": "No controlled item has the code '{value}'."}

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", ControlledItem.objects.all())
        super().__init__(slug_field="code", **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data or len(data) > 40 or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)

from django.contrib import admin, messages

from .api.keys import api_key_create, api_key_revoke
from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created here with a name and scope; the key itself is shown once, in the
    confirmation message, and only its SHA-256 is stored."""

    list_display = ("name", "prefix", "scope", "created_by", "created_at", "last_used_at", "revoked_at")
    list_filter = ("scope", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix")
    fields = ("name", "scope", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # A key's name and scope are fixed once issued: make a new key instead.
        return self.readonly_fields + (("name", "scope") if obj else ())

    def save_model(self, request, obj, form, change):
        if change:
            return
        key, raw = api_key_create(name=obj.name, scope=obj.scope, created_by=request.user)
        obj.pk = key.pk
        obj.__dict__.update({f.attname: getattr(key, f.attname) for f in ApiKey._meta.concrete_fields})
        messages.warning(
            request, f"The key for '{key.name}' is {raw} — copy it now: it is not stored and will not be shown again."
        )

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            api_key_revoke(api_key=key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")

"""/settings/api-keys/: admins list, create (the key shown once) and revoke API keys (docs/architecture.md#ui)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .api.keys import api_key_create, api_key_revoke
from .models import ApiKey
from .roles import Role, has_role


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="The integration, e.g. sap-prod.")
    scope = forms.ChoiceField(choices=ApiKey.Scope.choices, initial=ApiKey.Scope.READ)


def _admin_only(request) -> None:
    if not has_role(request.user, Role.ADMIN):
        raise PermissionDenied


@login_required
def api_keys(request):
    _admin_only(request)
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            key, new_key = api_key_create(created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            form = ApiKeyForm()
            # Rendered, not redirected: the key exists only in this response.
            messages.success(request, f"Created the {key.scope} key '{key.name}'.")
    keys = ApiKey.objects.select_related("created_by").order_by("revoked_at", "name")
    return render(request, "core/api_keys.html", {"form": form, "keys": keys, "new_key": new_key})


@login_required
@require_POST
def api_key_revoke_view(request, pk: int):
    _admin_only(request)
    key = get_object_or_404(ApiKey, pk=pk)
    api_key_revoke(api_key=key)
    messages.success(request, f"Revoked the key '{key.name}': it stops working at once.")
    return redirect("api-keys")

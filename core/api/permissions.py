"""Who may do what over the API: keys by scope, people by role (core.roles)."""

from __future__ import annotations

from rest_framework import permissions

from core.roles import Role, has_role

from .authentication import api_key_of


class ApiPermission(permissions.BasePermission):
    """Read scope: safe methods only; write scope: everything an API client may do.

    Session users: viewer reads, ``view.write_role`` (procurement by default) writes. A view
    sets ``write_role = Role.COMPLIANCE`` where the UI demands compliance (policy events).
    """

    message = "Your role or API key scope does not allow this."

    def has_permission(self, request, view) -> bool:
        key = api_key_of(request)
        safe = request.method in permissions.SAFE_METHODS
        if key is not None:
            if not safe and not key.can_write:
                self.message = f"The API key '{key.name}' has read scope; this needs a key with write scope."
                return False
            return True
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if safe:
            return has_role(user, Role.VIEWER)
        role = getattr(view, "write_role", Role.PROCUREMENT)
        if not has_role(user, role):
            self.message = f"This needs the {Role(role).label.lower()} role."
            return False
        return True

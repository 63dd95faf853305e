"""Roles (docs/architecture.md#ui): Django groups, ordered so that each role includes the ones before it.

- viewer: reads everything
- procurement: edits suppliers, orders, shipments, applications and licences
- compliance: procurement + overrides (over-draws), policy events, calendar overrides
- admin: compliance + users, API keys and webhooks (superusers are admins)
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    PROCUREMENT = "procurement", "Procurement"
    COMPLIANCE = "compliance", "Compliance"
    ADMIN = "admin", "Admin"


RANK = {Role.VIEWER: 1, Role.PROCUREMENT: 2, Role.COMPLIANCE: 3, Role.ADMIN: 4}


def user_role(user: AbstractBaseUser | AnonymousUser | None) -> Role | None:
    """The highest role the user holds, or None for anonymous and role-less users."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    # Cached on the user object: templates and permission checks ask many times a request.
    if not hasattr(user, "_role_cache"):
        names = {g.name for g in user.groups.all()}
        held = [role for role in Role if role.value in names]
        user._role_cache = max(held, key=RANK.__getitem__) if held else None
    return user._role_cache


def has_role(user, role: Role | str) -> bool:
    """True when the user holds ``role`` or a higher one."""
    held = user_role(user)
    return held is not None and RANK[held] >= RANK[Role(role)]


def ensure_role_groups() -> None:
    for role in Role:
        Group.objects.get_or_create(name=role.value)


def assign_role(user, role: Role | str) -> None:
    """Give ``user`` exactly one role (replacing any other role group)."""
    ensure_role_groups()
    user.groups.remove(*Group.objects.filter(name__in=[r.value for r in Role]))
    user.groups.add(Group.objects.get(name=Role(role).value))
    if hasattr(user, "_role_cache"):
        del user._role_cache

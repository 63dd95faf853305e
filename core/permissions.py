"""Role checks for every UI view (docs/architecture.md#ui).

One decorator, ``role_required``, guards every page: anonymous visitors go to the login form,
a signed-in user without any role gets a polite "no access" page (403), and a user whose role
is too low for the action gets the same page naming the role it needs. ``write_role`` lets one
view serve reads to viewers and writes (POST) to a higher role, so a form can never be
submitted by a role that may only look at it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .roles import Role, has_role, user_role

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def no_access(request: HttpRequest, needed: Role | None = None) -> HttpResponse:
    """The 403 page: says what the user holds and what the page needs, never a stack trace."""
    return render(
        request,
        "core/no_access.html",
        {"needed": needed, "held": user_role(request.user)},
        status=403,
    )


def role_required(role: Role | str = Role.VIEWER, *, write_role: Role | str | None = None) -> Callable:
    """Guard a view: ``role`` to read it, ``write_role`` (default: ``role``) for any other method."""
    read = Role(role)
    write = Role(write_role) if write_role else read

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            needed = read if request.method in SAFE_METHODS else write
            if not has_role(request.user, needed):
                return no_access(request, needed)
            return view(request, *args, **kwargs)

        wrapped.required_role = read  # type: ignore[attr-defined]  # tests walk the URL map with it
        wrapped.write_role = write  # type: ignore[attr-defined]
        return wrapped

    return decorator


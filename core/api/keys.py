"""API keys (docs/architecture.md#api): created per integration, shown once, stored as a SHA-256, revocable.

The key carries 256 bits from ``secrets``; a SHA-256 of such a key needs no salt or slow hash
(there is nothing to brute-force), so a lookup is one indexed query on ``key_hash``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from core.errors import field_error
from core.models import ApiKey

KEY_PREFIX = "rt_"
# A key's last use is written at most this often, so that reads cost no write per request.
TOUCH_INTERVAL = dt.timedelta(minutes=1)


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, name: str, scope: str = ApiKey.Scope.READ, created_by=None) -> tuple[ApiKey, str]:
    """Create a key for the integration ``name``; returns the row and the key, which is never
    stored and cannot be shown again."""
    name = (name or "").strip()
    if not name:
        raise field_error("name", "Give the integration a name.", code="required")
    if scope not in ApiKey.Scope.values:
        raise field_error("scope", f"Scope is one of: {', '.join(ApiKey.Scope.values)}.", code="invalid_choice")
    if ApiKey.objects.filter(name=name).exists():
        raise field_error("name", f"A key named '{name}' exists already.", code="unique")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, scope=scope, prefix=raw[:10], key_hash=hash_key(raw))
    key.created_by = created_by if getattr(created_by, "is_authenticated", False) else None
    key.full_clean()
    key.save()
    return key, raw


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key; it stops working at once. Revoking twice keeps the first date."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db(fields=["revoked_at"])
    return api_key


def api_key_for(raw: str) -> ApiKey | None:
    """The active key matching ``raw``, or None."""
    if not raw or len(raw) > 200:
        return None
    digest = hash_key(raw)
    key = ApiKey.objects.filter(key_hash=digest).first()
    # The index found the row; compare in constant time all the same, so that the answer's
    # timing tells nothing about how much of a guessed key matched.
    if key is None or not hmac.compare_digest(key.key_hash, digest) or key.revoked_at is not None:
        return None
    return key


def api_key_touch(api_key: ApiKey, *, now: dt.datetime | None = None) -> None:
    """Record the key's use, at most once per TOUCH_INTERVAL (a conditional UPDATE, so that
    concurrent requests write once)."""
    now = now or timezone.now()
    if api_key.last_used_at is not None and now - api_key.last_used_at < TOUCH_INTERVAL:
        return
    ApiKey.objects.filter(pk=api_key.pk).exclude(last_used_at__gt=now - TOUCH_INTERVAL).update(last_used_at=now)
    api_key.last_used_at = now

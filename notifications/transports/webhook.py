"""Webhooks (docs/architecture.md#delivery-guarantees): POST the stored JSON body, signed with the endpoint's secret.

Headers (documented in docs/alerts.md and the README):
  X-Raretrack-Signature: sha256=<hex HMAC-SHA256 of the raw body with the endpoint secret>
  X-Raretrack-Timestamp: <Unix seconds when this attempt was sent>
  X-Raretrack-Event: <event type>;  X-Raretrack-Delivery: <event id, the same on every retry>
"""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.error
import urllib.request

from django.conf import settings

from ..models import WebhookDelivery
from . import TransportError

SIGNATURE_HEADER = "X-Raretrack-Signature"
TIMESTAMP_HEADER = "X-Raretrack-Timestamp"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send(delivery: WebhookDelivery) -> int:
    """POST one event; returns the HTTP status. 5xx, 408, 429 and network errors are
    temporary (the receiver may recover); other 4xx are permanent (it refuses this request)."""
    body = delivery.body.encode()
    endpoint = delivery.endpoint
    request = urllib.request.Request(endpoint.url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": "raretrack-webhooks/1",
        SIGNATURE_HEADER: signature(endpoint.secret, body),
        TIMESTAMP_HEADER: str(int(time.time())),
        "X-Raretrack-Event": delivery.event_type,
        "X-Raretrack-Delivery": delivery.event_key,
    })
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        code = exc.code
        permanent = 400 <= code < 500 and code not in (408, 425, 429)
        raise TransportError(f"HTTP {code} from {endpoint.url}", permanent=permanent, code=code) from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}", permanent=False) from exc

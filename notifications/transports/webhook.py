"""Webhooks (docs/architecture.md#delivery-guarantees): POST the stored JSON body, signed with the endpoint's secret.

Headers (documented in docs/alerts.md and docs/security.md, with a verification snippet):
  X-Raretrack-Signature: t=<Unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>
  X-Raretrack-Timestamp: <the same Unix seconds>
The signature covers the timestamp, so a captured request cannot be replayed later with a fresh
one: receivers refuse a ``t`` outside their tolerance (``SIGNATURE_TOLERANCE``, 5 minutes).

Endpoint URLs: https only (http when ``WEBHOOK_ALLOW_HTTP``), to public addresses only
(private, loopback, link-local, multicast and reserved ones only when ``WEBHOOK_ALLOW_PRIVATE``):
checked when an endpoint is saved and again, on the addresses its name resolves to then, before
each send (a name that resolved to a public address at save time may not any more).
  X-Raretrack-Event: <event type>;  X-Raretrack-Delivery: <event id, the same on every retry>
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings

from ..models import WebhookDelivery
from . import TransportError

SIGNATURE_HEADER = "X-Raretrack-Signature"
TIMESTAMP_HEADER = "X-Raretrack-Timestamp"


SIGNATURE_TOLERANCE = 300


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """``t=<timestamp>,v1=<HMAC-SHA256 of "<timestamp>.<body>">``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def signature_verify(secret: str, body: bytes, header: str, *, now: float | None = None,
                     tolerance: int = SIGNATURE_TOLERANCE) -> bool:
    """What a receiver does (docs/security.md has the same as a standalone snippet)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, body, timestamp), f"t={timestamp},v1={parts.get('v1', '')}")


class UnsafeUrl(ValueError):
    """A webhook URL this deployment does not send to (scheme or address)."""


def _address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def url_check(url: str, *, resolve: bool = True) -> None:
    """Raise UnsafeUrl unless ``url`` is https (or http when allowed) to a public address.
    ``resolve``: also check every address the host name resolves to now."""
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme.lower() not in allowed:
        raise UnsafeUrl(f"Use an {' or '.join(allowed)} URL.")
    host = parts.hostname
    if not host:
        raise UnsafeUrl("The URL has no host.")
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if host.lower() == "localhost" or host.lower().endswith((".localhost", ".local", ".internal")):
            raise UnsafeUrl("The URL names a local host.") from None
        if not resolve:
            return
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            addresses = sorted({info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})
        except (socket.gaierror, UnicodeError, ValueError) as exc:
            raise UnsafeUrl(f"The host {host} does not resolve.") from exc
    bad = [a for a in addresses if not _address_allowed(a)]
    if bad:
        raise UnsafeUrl(f"The URL points at a private, loopback or link-local address ({', '.join(bad)}).")


def send(delivery: WebhookDelivery) -> int:
    """POST one event; returns the HTTP status. 5xx, 408, 429 and network errors are
    temporary (the receiver may recover); other 4xx are permanent (it refuses this request)."""
    body = delivery.body.encode()
    endpoint = delivery.endpoint
    try:
        url_check(endpoint.url)  # again at send time: DNS may point elsewhere now
    except UnsafeUrl as exc:
        raise TransportError(f"Not sent: {exc}", permanent=True) from exc
    timestamp = int(time.time())
    request = urllib.request.Request(endpoint.url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": "raretrack-webhooks/1",
        SIGNATURE_HEADER: signature(endpoint.secret, body, timestamp),
        TIMESTAMP_HEADER: str(timestamp),
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

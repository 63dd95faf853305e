"""Webhooks: the signature covers timestamp and body (a replay under a fresh timestamp fails),
docs/security.md's verification snippet works on what the product really sends, and only
https URLs to public addresses are saved or sent to unless settings allow more."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from notifications import services, tasks
from notifications.models import DeliveryStatus, WebhookDelivery
from notifications.transports import webhook
from tests.e2e.servers import WebhookReceiver

pytestmark = pytest.mark.django_db
SECRET = "s3cret-for-tests-0123456789"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def snippet_verify():
    code = re.search(r"## Webhooks.*?```python\n(.*?)```", DOCS.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)  # our own documentation, run as written
    return namespace["verify"]



def test_the_documented_snippet_accepts_real_requests_and_refuses_replays_and_tampering(settings, monkeypatch):
    verify = snippet_verify()
    sent = {}

    def capture(request, timeout):
        sent["body"], sent["header"] = request.data, request.get_header("X-raretrack-signature")
        raise OSError("captured")

    monkeypatch.setattr(webhook.urllib.request, "urlopen", capture)
    endpoint = services.webhook_endpoint_save(name="ERP", url="http://127.0.0.1:9/hook", secret=SECRET)
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event_type="alert.created", event_key="k-1",
                                              body='{"id": "k-1"}')
    with pytest.raises(Exception, match="captured"):
        webhook.send(delivery)
    body, header = sent["body"], sent["header"]
    t = int(re.match(r"t=(\d+),v1=[0-9a-f]{64}$", header).group(1))
    assert verify(SECRET, body, header, now=t + 10)
    assert webhook.signature_verify(SECRET, body, header, now=t + 10)
    # A replay: the same request an hour later, or with a fresh timestamp and the old MAC.
    assert not verify(SECRET, body, header, now=t + 3600)
    fresh = re.sub(r"t=\d+", f"t={t + 3600}", header)
    assert not verify(SECRET, body, fresh, now=t + 3600)
    assert not webhook.signature_verify(SECRET, body, fresh, now=t + 3600)
    # Tampered body, wrong secret, malformed header.
    assert not verify(SECRET, body + b" ", header, now=t)
    assert not verify("other", body, header, now=t)
    assert not verify(SECRET, body, "sha256=abc", now=t)


def test_a_real_receiver_verifies_the_signature(subscribers):
    with WebhookReceiver(SECRET) as receiver:
        endpoint = services.webhook_endpoint_save(name="ERP", url=receiver.url, secret=SECRET)
        delivery = WebhookDelivery.objects.create(endpoint=endpoint, event_type="alert.created", event_key="k-2",
                                                  body='{"id": "k-2"}')
        tasks.queue_webhooks([delivery.pk])
    assert [r["signature_ok"] for r in receiver.requests] == [True]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/", "http://example.com/hook", "https://127.0.0.1/", "https://[::1]/", "https://10.1.2.3/",
        "https://192.168.0.10/", "https://169.254.169.254/latest/meta-data", "https://[fe80::1]/",
        "https://localhost/", "https://[::ffff:127.0.0.1]/", "https://0.0.0.0/", "https://224.0.0.1/",
    ],
)
def test_unsafe_urls_are_refused_when_saved(settings, url):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as info:
        services.webhook_endpoint_save(name="ERP", url=url, secret=SECRET)
    assert "url" in info.value.message_dict


def test_public_https_is_accepted_and_the_settings_open_http_and_private_addresses(settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_PRIVATE = False
    services.webhook_endpoint_save(name="A", url="https://93.184.215.14/hook", secret=SECRET)
    settings.WEBHOOK_ALLOW_HTTP = True
    services.webhook_endpoint_save(name="B", url="http://93.184.215.14/hook", secret=SECRET)
    settings.WEBHOOK_ALLOW_PRIVATE = True
    services.webhook_endpoint_save(name="C", url="http://127.0.0.1:8080/hook", secret=SECRET)


def test_a_name_that_resolves_to_a_private_address_at_send_time_is_not_sent_to(settings, monkeypatch):
    """DNS rebinding: public when saved, loopback when sending."""
    settings.WEBHOOK_ALLOW_PRIVATE = False
    answers = {"now": "93.184.215.14"}
    monkeypatch.setattr(webhook.socket, "getaddrinfo",
                        lambda host, port, **kw: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers["now"], port))])
    endpoint = services.webhook_endpoint_save(name="ERP", url="https://hooks.example.com/x", secret=SECRET)
    answers["now"] = "127.0.0.1"
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event_type="alert.created", event_key="k-3",
                                              body='{"id": "k-3"}')
    tasks.queue_webhooks([delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and "private, loopback" in delivery.last_error

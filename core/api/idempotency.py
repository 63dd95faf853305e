"""``Idempotency-Key`` on POST (docs/architecture.md#api): a repeat with the same key and body gets the first
answer and creates nothing; the same key with another body answers 422.

The record is claimed *before* the work, in its own short transaction: a concurrent repeat
hits the unique constraint and answers 409 "still in progress" rather than doing the work
twice. Only successful answers are kept: after a 4xx the record is dropped, so the client may
correct the request and retry with the same key. A claim left behind by a crashed worker is
taken over after ``STALE_CLAIM``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.models import IdempotencyRecord

from .authentication import api_key_of
from .exceptions import Conflict, Unprocessable

HEADER = "Idempotency-Key"
KEEP_FOR = dt.timedelta(hours=24)
STALE_CLAIM = dt.timedelta(minutes=10)


class Replay(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(f"{method} {path} {hashlib.sha256(body).hexdigest()}".encode()).hexdigest()


def _owner(request) -> dict:
    key = api_key_of(request)
    return {"api_key": key} if key else {"user": request.user}


def idempotency_claim(request) -> IdempotencyRecord | None:
    """Claim the request's Idempotency-Key, or raise Replay / 422 / 409. None without a key."""
    key = request.headers.get(HEADER)
    if key is None or request.method != "POST":
        return None
    key = key.strip()
    if not key or len(key) > 255:
        from rest_framework.exceptions import ValidationError

        raise ValidationError({HEADER: ["Give an Idempotency-Key of 1 to 255 characters."]})
    owner = _owner(request)
    fp = fingerprint(request.method, request.path, request._request.body)
    for _ in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(key=key, fingerprint=fp, **owner)
        except IntegrityError:
            pass
        record = IdempotencyRecord.objects.filter(key=key, **owner).first()
        if record is None:
            continue  # purged between the two statements: claim again
        if record.fingerprint != fp:
            raise Unprocessable(
                "This Idempotency-Key was used for another request (other method, path or body). "
                "Use a new key for a new request.",
                code="idempotency_key_reused",
            )
        if record.response_status:
            response = Response(record.response_body, status=record.response_status)
            response["Idempotent-Replayed"] = "true"
            if record.response_etag:
                response["ETag"] = record.response_etag
            raise Replay(response)
        if timezone.now() - record.created_at > STALE_CLAIM:
            IdempotencyRecord.objects.filter(pk=record.pk, response_status=0).delete()
            continue
        raise Conflict("A request with this Idempotency-Key is still being processed.", code="idempotency_in_progress")
    raise Conflict("A request with this Idempotency-Key is still being processed.", code="idempotency_in_progress")


def idempotency_finish(record: IdempotencyRecord, response: Response) -> None:
    """Keep a successful answer for repeats; drop the claim otherwise."""
    if 200 <= response.status_code < 300 and response.data is not None:
        body = json.loads(JSONRenderer().render(response.data))
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            response_status=response.status_code, response_body=body, response_etag=response.get("ETag", "")
        )
    else:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()


def idempotency_records_purge(*, older_than: dt.timedelta = KEEP_FOR) -> int:
    """Delete records older than ``older_than`` (at least 24 hours): run daily. Returns how many."""
    older_than = max(older_than, KEEP_FOR)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted

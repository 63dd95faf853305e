"""Pagination of every list: page numbers for browsing, a keyset cursor for the ERP's sync.

Page numbers (``page``, ``page_size``) shift when a row changes while a client pages: an edited
row moves to the end of an ``updated_since`` list, the rows behind it move up one place, and
the client skips one of them for good. A sync list (``updated_since`` or ``cursor`` given,
no ``ordering``) therefore pages by position instead: rows after ``(updated_at, id)`` of the
last row seen, which an edit elsewhere cannot shift. Its ``next`` carries an opaque ``cursor``;
every sync page also answers ``cursor``, the position after its last row, which the client
stores to start its next run from.

Rows changed in the last ``API_SYNC_SETTLE_SECONDS`` are not served yet: ``updated_at`` is taken
when a row is saved, not when its transaction commits, so a long transaction (a 10,000-row bulk
upsert) can commit rows stamped earlier than rows a client has already passed. Holding back the
newest seconds lets such transactions commit before the cursor moves past their stamps.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections import OrderedDict

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .fields import MAX_ID

CURSOR_PARAM = "cursor"


def syncable(model) -> bool:
    """Whether a list of ``model`` can page by cursor (it has ``updated_at``)."""
    return any(f.name == "updated_at" for f in model._meta.get_fields())


def is_sync_request(request, model) -> bool:
    """A sync list: ``updated_since`` or ``cursor`` without an explicit ``ordering``."""
    params = request.query_params
    asked = (CURSOR_PARAM in params or "updated_since" in params) and not params.get("ordering")
    return asked and syncable(model)


def cursor_encode(updated_at: dt.datetime, pk: int) -> str:
    raw = json.dumps([updated_at.astimezone(dt.UTC).isoformat(), pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(value: str) -> tuple[dt.datetime, int]:
    """The position a cursor names; a 400 naming ``cursor`` for anything this did not make."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        stamp, pk = json.loads(raw)
        when = dt.datetime.fromisoformat(stamp)
        if when.tzinfo is None or isinstance(pk, bool) or not isinstance(pk, int) or not 0 <= pk <= MAX_ID:
            raise ValueError(value)
    except (ValueError, TypeError, UnicodeDecodeError):
        detail = "Not a cursor this API gave out: start again from updated_since."
        raise ValidationError({CURSOR_PARAM: [detail]}) from None
    return when, pk


class ApiPagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}`` with ``page_size`` up to 500 (see
    docs/architecture.md); sync lists page by cursor and add ``"cursor"``."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    _sync = False

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError({self.page_size_query_param: ["Give a whole number of rows from 1 to 500."]})
        return min(size, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        raw_page = request.query_params.get(self.page_query_param)
        if raw_page is not None and (not raw_page.isdigit() or int(raw_page) < 1):
            raise ValidationError({self.page_query_param: ["Give a page number from 1."]})
        self._sync = is_sync_request(request, queryset.model)
        if not self._sync:
            return super().paginate_queryset(queryset, request, view)
        return self._sync_page(queryset, request)

    def _sync_page(self, queryset, request):
        self.request = request
        size = self.get_page_size(request)
        settle = dt.timedelta(seconds=settings.API_SYNC_SETTLE_SECONDS)
        queryset = queryset.filter(updated_at__lte=timezone.now() - settle).order_by("updated_at", "pk")
        raw = request.query_params.get(CURSOR_PARAM)
        self._position = cursor_decode(raw) if raw is not None else None
        if self._position is not None:
            when, pk = self._position
            queryset = queryset.filter(Q(updated_at__gt=when) | Q(updated_at=when, pk__gt=pk))
        self._count = queryset.count()
        rows = list(queryset[:size])
        self._full = len(rows) == size
        if rows:
            last = rows[-1]  # a model instance, or a .values() row (the applications list)
            self._position = (last["updated_at"], last["id"]) if isinstance(last, dict) else (last.updated_at, last.pk)
        return rows

    def get_paginated_response(self, data):
        if not self._sync:
            return super().get_paginated_response(data)
        cursor = cursor_encode(*self._position) if self._position else None
        url = self.request.build_absolute_uri()
        next_url = None
        if self._full and cursor:
            next_url = replace_query_param(remove_query_param(url, self.page_query_param), CURSOR_PARAM, cursor)
        return Response(
            OrderedDict(
                [("count", self._count), ("next", next_url), ("previous", None), ("cursor", cursor), ("results", data)]
            )
        )

    def get_paginated_response_schema(self, schema):
        out = super().get_paginated_response_schema(schema)
        out["properties"]["cursor"] = {
            "type": "string",
            "nullable": True,
            "description": "Sync lists only (updated_since or cursor): the position after this page's last row; "
            "pass it as `cursor` in the next run.",
        }
        out["properties"]["count"]["description"] = "Rows in the list (sync lists: rows from this page on)."
        return out

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        try:
            model = view.get_queryset().model
        except Exception:  # a queryset that needs a real request: no cursor documented
            return params
        if not syncable(model):
            return params
        params.append(
            {
                "name": CURSOR_PARAM,
                "required": False,
                "in": "query",
                "description": "Sync position from a previous answer's `cursor` (rows changed after it, "
                "in `updated_at`, `id` order).",
                "schema": {"type": "string"},
            }
        )
        return params


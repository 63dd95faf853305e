"""Shared plumbing for the UI views (docs/architecture.md#ui): lists with filters, sorting, pagination,
htmx partial updates and exports; showing a service's field errors on the form that sent them.

The views themselves live in the apps and stay thin: parse input, call the service, render.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.db.models.expressions import OrderBy
from django.forms import BaseFormSet, Form
from django.http import HttpRequest
from django.shortcuts import render

from .exports import FORMATS, Column, export_response


@dataclass(frozen=True)
class ListSpec:
    """What a list page shows: its template (with a ``results`` partial for htmx), its
    filters (a django-filter FilterSet), its sort keys and its export columns."""

    template: str
    filterset_class: type
    sorts: Mapping[str, Sequence[str]]  # key in the URL -> order_by fields (ascending)
    default_sort: str
    columns: Sequence[Column]
    export_name: str
    title: str
    decorate: Callable[[list], None] | None = None  # annotate the page's rows in Python (e.g. clocks)
    # the export's rows from the list's (one row per licence line, say), read as they come
    export_rows: Callable[[Iterable], Iterable] | None = None
    extra_context: Mapping[str, Any] = field(default_factory=dict)


def _ordering(spec: ListSpec, sort: str) -> tuple[str, list[OrderBy]]:
    """The sort key from the URL (unknown keys fall back to the default), empty values last
    in both directions and on every database (SQLite and PostgreSQL disagree by default)."""
    key = sort.lstrip("-")
    if key not in spec.sorts:
        sort, key = spec.default_sort, spec.default_sort.lstrip("-")
    descending = sort.startswith("-")
    order = [F(f).desc(nulls_last=True) if descending else F(f).asc(nulls_last=True) for f in spec.sorts[key]]
    return sort, [*order, F("pk").desc() if descending else F("pk").asc()]


def list_page(request: HttpRequest, spec: ListSpec, queryset: QuerySet, context: Mapping[str, Any] | None = None):
    """Filter, sort, then export (every filtered row) or paginate and render.

    An htmx request gets only the ``results`` partial, so filters, sorting and paging swap
    the table without a full reload; the URL is pushed so a bookmark shows the same rows.
    """
    filterset = spec.filterset_class(request.GET or None, queryset=queryset, request=request)
    rows = filterset.qs
    sort, order_by = _ordering(spec, request.GET.get("sort", ""))
    rows = rows.order_by(*order_by)
    fmt = request.GET.get("export", "")
    if fmt in FORMATS:
        return export_response(
            fmt, rows, spec.columns, spec.export_name, title=spec.title, expand=spec.export_rows
        )
    page = Paginator(rows, settings.UI_PAGE_SIZE).get_page(request.GET.get("page"))
    objects = list(page.object_list)
    if spec.decorate:
        spec.decorate(objects)
    ctx = {
        "filter": filterset,
        # Only a filter with a value counts: sorting or paging an unfiltered list is not "filtered".
        "filtered": any(request.GET.get(name) for name in filterset.form.fields),
        "page_obj": page,
        "rows": objects,
        "sort": sort,
        "title": spec.title,
        "export_formats": FORMATS,
        **spec.extra_context,
        **(context or {}),
    }
    htmx = getattr(request, "htmx", None)
    template = spec.template
    if htmx and not htmx.history_restore_request and htmx.target == "results":
        template = f"{spec.template}#results"
    return render(request, template, ctx)


_INDEXED = re.compile(r"^(?P<path>.+)\[(?P<index>\d+)\]\.(?P<field>\w+)$")


def apply_errors(
    exc: ValidationError,
    form: Form,
    *,
    formsets: Mapping[str, BaseFormSet] | None = None,
    prefixed: Mapping[str, Form] | None = None,
) -> None:
    """Show a service's errors where they belong.

    Keys like ``lines[2].quantity`` go to that field of the third form of the formset named
    ``lines``; ``licence.valid_until`` goes to the form registered under ``licence.``; a key no
    form knows becomes a non-field error that still names it, so nothing is silently lost.
    """
    formsets = formsets or {}
    prefixed = prefixed or {}
    messages = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for key, texts in messages.items():
        target, name = form, key
        for prefix, other in prefixed.items():
            if key.startswith(prefix):
                target, name = other, key[len(prefix) :]
        match = _INDEXED.match(name)
        if match and match["path"] in formsets:
            forms = formsets[match["path"]].forms
            index = int(match["index"])
            if index < len(forms) and match["field"] in forms[index].fields:
                forms[index].add_error(match["field"], texts)
                continue
            form.add_error(None, [f"Line {index + 1}: {t}" for t in texts])
            continue
        if name in formsets:
            form.add_error(None, texts)
        elif name in target.fields:
            target.add_error(name, texts)
        elif name == "__all__":
            target.add_error(None, texts)
        else:
            target.add_error(None, [f"{name.replace('_', ' ')}: {t}" for t in texts])

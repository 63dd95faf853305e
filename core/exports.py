"""Export any list to CSV or XLSX (docs/architecture.md#ui), generic: the apps say which columns.

A ``Column`` is a header and a function of the row. XLSX cells are typed (``core/xlsx.py``):
numbers are numeric cells, dates date cells, text inline string cells, which a spreadsheet never
runs as a formula, so no value needs an apostrophe in front. CSV is text: a cell that a
spreadsheet opening the file would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return) is prefixed with an apostrophe, except a plain number (``-12.5``) or
a phone number (``+86 21 5555 1234``), which no spreadsheet can make call anything
(docs/security.md).

Any stored value must export: the door refuses control characters, but rows written before
it (or by a script) may hold them. Text is cleaned of the characters XML 1.0 cannot carry, in
both formats, and cut to Excel's 32,767 characters a cell in XLSX.

A large list exports without a model instance per row: its ``export_rows`` reads the
queryset with ``read_values`` (``.values()`` through a server-side cursor, a chunk of rows at a
time, their lines one query a chunk) and its columns read the dicts (``field``, ``label``).
Building the instances and prefetching their lines took some 70 % of an export of 100,000
shipments (docs/benchmarks.md).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from typing import Any

from django.db.models import Model, QuerySet
from django.http import StreamingHttpResponse

from .xlsx import CELL_MAX_CHARS, clean_text, write_xlsx

__all__ = [
    "CELL_MAX_CHARS",
    "CHUNK_ROWS",
    "FORMATS",
    "Column",
    "clean_text",
    "export_csv",
    "export_response",
    "export_xlsx",
    "export_xlsx_sheets",
    "field",
    "label",
    "read_values",
]

FORMATS = ("csv", "xlsx")
#: rows read from the database at a time: one round trip (and one query for their lines) each
CHUNK_ROWS = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A number, or a phone number: "+" and at least seven digits with only spaces, hyphens, dots
# and parentheses between them. Neither holds a letter, a reference or a function a
# spreadsheet could run, so neither needs the apostrophe.
_PLAIN_NUMBER_RE = re.compile(r"[+-]?\d+(?:[.,]\d+)?|\+(?=(?:[ ().-]*\d){7})[\d ().-]+")


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    width: int = 16


def field(name: str) -> Callable[[dict], Any]:
    """The column value of a row read by ``read_values``: its ``name`` (``"supplier__name"``)."""
    return itemgetter(name)


def label(model: type[Model], name: str, key: str | None = None) -> Callable[[dict], Any]:
    """A choice field of a row read by ``read_values`` as ``get_<name>_display`` shows it: the
    choice's label, or the stored value when it is not a choice. ``key`` is the row's key for
    it (``"licence__status"``), ``name`` by default."""
    labels = dict(model._meta.get_field(name).flatchoices)
    get = itemgetter(key or name)
    return lambda row: labels.get(get(row), get(row))


def read_values(queryset: QuerySet, fields: Sequence[str], *, chunk_size: int = CHUNK_ROWS) -> Iterator[list[dict]]:
    """The rows of ``queryset`` (filtered and sorted) as dicts of ``fields``, ``chunk_size`` at a
    time: ``.values()`` read through a server-side cursor, so no model instance is built and
    the web process holds one chunk. The caller reads each chunk's lines with one query."""
    rows = queryset.prefetch_related(None).values(*fields).iterator(chunk_size=chunk_size)
    while chunk := list(islice(rows, chunk_size)):
        yield chunk


def csv_text(value: str) -> str:
    """A text cell of a CSV: cleaned, and prefixed with an apostrophe if a spreadsheet would run
    it as a formula."""
    value = clean_text(value)
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER_RE.fullmatch(value):
        return "'" + value
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, (int, float)):
        return value
    return csv_text(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_csv(rows: Iterable[Any], columns: Sequence[Column], filename: str) -> StreamingHttpResponse:
    """Stream a CSV (UTF-8 with BOM, so Excel opens Chinese names correctly)."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow([c.header for c in columns])
        for row in rows:
            yield writer.writerow([_csv_cell(c.value(row)) for c in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


@dataclass(frozen=True)
class _Sheet:
    """A sheet as ``core.xlsx.write_xlsx`` reads it: rows as lists of values, read as they come."""

    title: str
    headers: list[str]
    widths: list[int]
    rows: Iterable[list[Any]]


def _sheet(title: str, rows: Iterable[Any], columns: Sequence[Column]) -> _Sheet:
    getters = [c.value for c in columns]
    values = ([get(row) for get in getters] for row in _streamed(rows))
    return _Sheet(title, [c.header for c in columns], [c.width for c in columns], values)


def export_xlsx(
    rows: Iterable[Any], columns: Sequence[Column], filename: str, *, title: str = "Export"
) -> StreamingHttpResponse:
    """One sheet with a bold, frozen header row and an autofilter, streamed."""
    return export_xlsx_sheets([(title, rows, columns)], filename)


def export_xlsx_sheets(
    sheets: Sequence[tuple[str, Iterable[Any], Sequence[Column]]], filename: str
) -> StreamingHttpResponse:
    """Several sheets (title, rows, columns), each with a bold, frozen header and an autofilter.

    The workbook is written while the rows are read and sent as it is written (``core/xlsx.py``):
    the web process holds a few hundred rows at a time, so 100,000 shipments stay far under its
    300 MB (docs/benchmarks.md). ``rows`` should be a queryset or an iterator, not a list."""
    chunks = write_xlsx(_sheet(title, rows, columns) for title, rows, columns in sheets)
    response = StreamingHttpResponse(chunks, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def _streamed(rows: Iterable[Any]) -> Iterable[Any]:
    """A queryset read in chunks of 2,000 (prefetches included) instead of all at once."""
    if isinstance(rows, QuerySet):
        return rows.iterator(chunk_size=2000)
    return rows


def export_response(
    fmt: str,
    rows: Iterable[Any],
    columns: Sequence[Column],
    filename: str,
    *,
    title: str = "Export",
    expand: Callable[[QuerySet], Iterable[Any]] | None = None,
):
    """The rows as a CSV or XLSX download. ``expand`` reads the export's rows from the queryset
    (``read_values``, or one row per line), as they are written; without it the rows are the
    queryset's instances, read 2,000 at a time."""
    rows = expand(rows) if expand is not None else _streamed(rows)
    if fmt == "xlsx":
        return export_xlsx(rows, columns, filename, title=title)
    return export_csv(rows, columns, filename)

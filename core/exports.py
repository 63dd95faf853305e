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
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from .xlsx import CELL_MAX_CHARS, clean_text, write_xlsx

__all__ = ["CELL_MAX_CHARS", "FORMATS", "Column", "clean_text", "export_csv", "export_response", "export_xlsx",
           "export_xlsx_sheets"]

FORMATS = ("csv", "xlsx")
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
    expand: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
):
    """The rows as a CSV or XLSX download; ``expand`` maps them to the export's rows first."""
    rows = _streamed(rows)
    if expand is not None:
        rows = expand(rows)
    if fmt == "xlsx":
        return export_xlsx(rows, columns, filename, title=title)
    return export_csv(rows, columns, filename)

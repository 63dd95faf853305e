"""Export any list to CSV or XLSX (docs/architecture.md#ui), generic: the apps say which columns.

A ``Column`` is a header and a function of the row; values are written as their natural
types to XLSX (dates stay dates, decimals numbers) and as text to CSV. Cells that a
spreadsheet would run as a formula are neutralised (CSV/formula injection).

Any stored value must export: the door refuses control characters, but rows written before
it (or by a script) may hold them, and XLSX cannot (openpyxl raises, the whole export would be
a 500). Text is therefore cleaned of characters XML 1.0 cannot carry and cut to Excel's 32,767
characters a cell; dates Excel cannot show (before 1900) are written as ISO text.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Excel's limit for one cell
CELL_MAX_CHARS = 32_767
_EXCEL_FIRST_DAY = dt.date(1900, 3, 1)  # before it Excel's serial dates are wrong or impossible


def clean_text(value: str, max_chars: int | None = None) -> str:
    """``value`` without the control characters XML (XLSX, iCalendar) cannot carry (tab and
    newline stay), and cut to ``max_chars`` with an ellipsis."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    value = "".join(ch for ch in value if not 0xD800 <= ord(ch) <= 0xDFFF and ch not in "\ufffe\uffff")
    if max_chars is not None and len(value) > max_chars:
        value = value[: max_chars - 1] + "…"
    return value


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    width: int = 16


def _safe_text(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal, dt.date)):
        return value
    return _safe_text(str(value))


def _csv_cell(value: Any) -> Any:
    value = _cell(value)
    return clean_text(value) if isinstance(value, str) else value


def _xlsx_cell(value: Any) -> Any:
    value = _cell(value)
    if isinstance(value, str):
        return clean_text(value, CELL_MAX_CHARS)
    if isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        if day < _EXCEL_FIRST_DAY:
            return value.isoformat()
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.astimezone(dt.UTC).replace(tzinfo=None)  # XLSX has no time zones
    return value


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


def export_xlsx(
    rows: Iterable[Any], columns: Sequence[Column], filename: str, *, title: str = "Export"
) -> FileResponse:
    """One sheet with a bold, frozen header row and an autofilter, streamed."""
    return export_xlsx_sheets([(title, rows, columns)], filename)


def export_xlsx_sheets(sheets: Sequence[tuple[str, Iterable[Any], Sequence[Column]]], filename: str) -> FileResponse:
    """Several sheets (title, rows, columns), each with a bold, frozen header and an autofilter.

    openpyxl's write-only mode writes each row out as it comes (memory does not grow with the
    rows), into a temporary file that the response then streams and that is gone once the
    response is closed: 100,000 shipments stay far under the web process's 300 MB
    (docs/benchmarks.md). ``rows`` should be an iterator (``QuerySet.iterator``), not a list.
    Every value goes through ``_xlsx_cell``, so no stored string can break the file."""
    wb = Workbook(write_only=True)
    for title, rows, columns in sheets:
        ws = wb.create_sheet(clean_text(title).translate({ord(c): " " for c in "[]:*?/\\"})[:31] or "Export")
        for i, column in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = column.width
        ws.freeze_panes = "A2"
        header = []
        for c in columns:
            cell = WriteOnlyCell(ws, value=c.header)
            cell.font = Font(bold=True)
            header.append(cell)
        ws.append(header)
        n = 1
        for row in _streamed(rows):
            ws.append([_xlsx_cell(c.value(row)) for c in columns])
            n += 1
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{n}"
    out = tempfile.TemporaryFile()
    wb.save(out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_TYPE)


def _streamed(rows: Iterable[Any]) -> Iterable[Any]:
    """A queryset read in chunks of 2,000 (prefetches included) instead of all at once."""
    if isinstance(rows, QuerySet):
        return rows.iterator(chunk_size=2000)
    return rows


def export_response(fmt: str, rows: Iterable[Any], columns: Sequence[Column], filename: str, *, title: str = "Export"):
    if fmt == "xlsx":
        return export_xlsx(_streamed(rows), columns, filename, title=title)
    return export_csv(_streamed(rows), columns, filename)

"""Export any list to CSV or XLSX (docs/architecture.md#ui), generic: the apps say which columns.

A ``Column`` is a header and a function of the row; values are written as their natural
types to XLSX (dates stay dates, decimals numbers) and as text to CSV. Cells that a
spreadsheet would run as a formula are neutralised (CSV/formula injection).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_csv(rows: Iterable[Any], columns: Sequence[Column], filename: str) -> StreamingHttpResponse:
    """Stream a CSV (UTF-8 with BOM, so Excel opens Chinese names correctly)."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow([c.header for c in columns])
        for row in rows:
            yield writer.writerow([_cell(c.value(row)) for c in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def export_xlsx(
    rows: Iterable[Any], columns: Sequence[Column], filename: str, *, title: str = "Export"
) -> HttpResponse:
    """One sheet with a bold, frozen header row and an autofilter."""
    return export_xlsx_sheets([(title, rows, columns)], filename)


def export_xlsx_sheets(sheets: Sequence[tuple[str, Iterable[Any], Sequence[Column]]], filename: str) -> HttpResponse:
    """Several sheets (title, rows, columns), each like ``export_xlsx``'s."""
    wb = Workbook(write_only=False)
    wb.remove(wb.active)
    for title, rows, columns in sheets:
        ws = wb.create_sheet(title[:31])
        ws.append([c.header for c in columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([_cell(c.value(row)) for c in columns])
        for i, column in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = column.width
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def export_response(fmt: str, rows: Iterable[Any], columns: Sequence[Column], filename: str, *, title: str = "Export"):
    if fmt == "xlsx":
        return export_xlsx(rows, columns, filename, title=title)
    return export_csv(rows, columns, filename)

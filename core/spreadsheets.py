"""Import rows from CSV or XLSX with a preview and row-level errors (docs/architecture.md#ui), generic.

``read_table`` turns an upload into a list of ``Row`` (the spreadsheet row number and a dict
of normalised header -> text). The apps describe their columns and turn rows into service
calls; ``run_import`` runs those calls in one transaction, each row group in a savepoint so
that every bad row is reported, and rolls everything back when any row failed or when only
a preview was asked for: all or nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from openpyxl import load_workbook

from .errors import integrity_error

MAX_ROWS = 10_000
MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Row:
    number: int  # as the spreadsheet shows it (the header is row 1)
    values: dict[str, str]

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass(frozen=True)
class RowError:
    row: int | None
    column: str
    message: str


@dataclass
class ImportResult:
    rows: list[Row] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)  # what the preview shows
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportFileError(ValueError):
    """The file as a whole cannot be read (wrong type, no header, too big)."""


def normalise_header(text: str) -> str:
    return "_".join(str(text or "").strip().lower().replace("-", " ").split())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_table(data: bytes) -> list[list[str]]:
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ImportFileError("This is not a readable XLSX file.") from exc
    return [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def _csv_table(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError("Save the CSV as UTF-8.") from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","  # European Excel uses ";"
    return [[c.strip() for c in r] for r in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _rows(table: list[list[str]]) -> list[Row]:
    if not table or not any(table[0]):
        raise ImportFileError("The file has no header row.")
    headers = [normalise_header(h) for h in table[0]]
    rows = []
    for i, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue  # blank lines are common at the end of sheets
        rows.append(Row(i, {h: (cells[j] if j < len(cells) else "") for j, h in enumerate(headers) if h}))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(f"At most {MAX_ROWS} rows per file (this one has {len(rows)}).")
    return rows


def read_table(data: bytes, filename: str) -> list[Row]:
    """Rows of a CSV (UTF-8, with or without BOM; comma or semicolon) or the first XLSX sheet."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    name = filename.lower()
    if data[:4] == b"PK\x03\x04" or name.endswith(".xlsx"):
        return _rows(_xlsx_table(data))
    if name.endswith(".csv") or name.endswith(".txt"):
        return _rows(_csv_table(data))
    raise ImportFileError("Upload a .csv or .xlsx file.")


def missing_columns(rows: Sequence[Row], required: Iterable[str]) -> list[RowError]:
    present = set(rows[0].values) if rows else set()
    return [RowError(1, name, "This column is missing.") for name in required if name not in present]


def errors_from_validation(exc: ValidationError, rows: Sequence[Row], column_for: Callable[[str], tuple[int, str]]):
    """Turn a service's field errors into row errors; ``column_for`` maps a field key
    (``"lines[1].quantity"``) to (index into ``rows``, column name)."""
    out = []
    for key, messages in exc.message_dict.items():
        index, column = column_for(key)
        row = rows[index].number if 0 <= index < len(rows) else (rows[0].number if rows else None)
        for message in messages:
            out.append(RowError(row, column, message))
    return out


def run_import(
    groups: Sequence[tuple[Sequence[Row], Callable[[], Any]]],
    *,
    commit: bool,
    column_for: Callable[[str], tuple[int, str]],
    result: ImportResult,
) -> ImportResult:
    """Run each group's service call in one transaction, a savepoint per group; a group's
    ValidationError, or an IntegrityError from the database, is that group's row errors.

    Everything is rolled back when any group failed or when ``commit`` is false (the preview
    runs the very same services, so the preview's errors are the commit's errors).
    """
    with transaction.atomic():
        for rows, call in groups:
            try:
                with transaction.atomic():
                    call()
            except ValidationError as exc:
                result.errors.extend(errors_from_validation(exc, rows, column_for))
            except IntegrityError as exc:
                # A write the database refused past the service's checks (a race, a bulk write):
                # the constraint's field and message in words, as full_clean would have said it.
                result.errors.extend(errors_from_validation(integrity_error(exc), rows, column_for))
        if result.errors or not commit:
            transaction.set_rollback(True)
        else:
            result.committed = True
    return result


_LINE_KEY = re.compile(r"^lines\[(\d+)\]\.(\w+)$")


def column_for_key(key: str) -> tuple[int, str]:
    """The default mapping of a service error key to (line index in the group, column):
    ``lines[2].quantity`` -> (2, "quantity"); ``eta`` -> (0, "eta"); ``__all__`` -> (0, "")."""
    if match := _LINE_KEY.match(key):
        return int(match[1]), match[2]
    return 0, "" if key == "__all__" else key

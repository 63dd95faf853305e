"""Exports give a spreadsheet typed cells: numbers as numbers, dates as dates, text as text with no
apostrophe in front; CSV keeps the formula protection, but not on numbers and phone numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from core.exports import Column, export_csv, export_xlsx, export_xlsx_sheets
from suppliers.models import Supplier

HOSTILE = "a\u0001b\u0002c\u001fd\x0b\ufffe<&>\ud800" + "é" * 40_000
ROW = {
    "phone": "+86 21 5555 1234",
    "count": 12,
    "balance": Decimal("1250.500"),
    "negative": Decimal("-3"),
    "share": 0.25,
    "day": dt.date(2026, 12, 3),
    "first": dt.date(1, 1, 1),
    "last": dt.date(9999, 12, 31),
    "stamp": dt.datetime(2026, 12, 3, 9, 30, 15, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    "formula": '=HYPERLINK("http://x","y")',
    "hostile": HOSTILE,
    "empty": None,
    "flag": True,
}
COLUMNS = [Column(name, lambda r, name=name: r[name]) for name in ROW]


def workbook(response) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_xlsx_cells_are_typed_and_carry_no_apostrophe():
    sheet = workbook(export_xlsx(iter([ROW]), COLUMNS, "t", title="Typed")).active
    header, cells = list(sheet.iter_rows())
    assert [c.value for c in header] == list(ROW) and all(c.font.b for c in header)
    got = {h.value: c for h, c in zip(header, cells, strict=True)}
    assert got["phone"].data_type == "s" and got["phone"].value == "+86 21 5555 1234"
    assert got["count"].data_type == "n" and got["count"].value == 12
    assert got["balance"].data_type == "n" and got["balance"].value == 1250.5
    assert got["negative"].value == -3 and got["share"].value == 0.25
    assert got["day"].is_date and got["day"].value == dt.datetime(2026, 12, 3)
    assert got["day"].number_format == "yyyy-mm-dd"
    assert got["last"].is_date and got["last"].value == dt.datetime(9999, 12, 31)
    assert got["first"].data_type == "s" and got["first"].value == "0001-01-01"  # before Excel's calendar
    assert got["stamp"].is_date and got["stamp"].value == dt.datetime(2026, 12, 3, 1, 30, 15)  # in UTC
    # A string cell is never run as a formula: stored as it is, not as a formula, no apostrophe.
    assert got["formula"].data_type == "s" and got["formula"].value == '=HYPERLINK("http://x","y")'
    assert got["hostile"].value.startswith("abcd<&>é") and len(got["hostile"].value) == 32_767
    assert got["empty"].value is None and got["flag"].value == "yes"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:M2"


def test_xlsx_sheets_get_titles_excel_accepts_and_every_row():
    rows = ({"n": i} for i in range(1000))
    wb = workbook(export_xlsx_sheets([("a/b", rows, [Column("n", lambda r: r["n"])]), ("a/b", [], [])], "t"))
    assert wb.sheetnames == ["a b", "a b (2)"]
    assert [r[0] for r in wb["a b"].iter_rows(min_row=2, values_only=True)] == list(range(1000))


def test_csv_neutralises_formulas_but_not_numbers_or_phone_numbers():
    values = ["+86 21 5555 1234", "+1 (555) 123-4567", "-12.5", "+3", '=HYPERLINK("http://x")', "-2+3", "+2-3",
              "@SUM(A1)", "+cmd|' /C calc'!A0", Decimal("1E+3"), -4]
    response = export_csv([{"v": v} for v in values], [Column("V", lambda r: r["v"])], "t")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    cells = [row[0] for row in csv.reader(io.StringIO(text))][1:]
    assert cells == ["+86 21 5555 1234", "+1 (555) 123-4567", "-12.5", "+3", "'=HYPERLINK(\"http://x\")", "'-2+3",
                     "'+2-3", "'@SUM(A1)", "'+cmd|' /C calc'!A0", "1000", "-4"]


@pytest.mark.django_db
def test_the_suppliers_export_has_phone_numbers_as_text_and_counts_as_numbers(scene, viewer, client):
    Supplier.objects.update(phone="+86 21 5555 1234")
    client.force_login(viewer)
    sheet = workbook(client.get("/suppliers/?export=xlsx")).active
    header = [c.value for c in sheet[1]]
    row = sheet[2]
    phone, applications = row[header.index("Phone")], row[header.index("Applications")]
    assert phone.data_type == "s" and phone.value == "+86 21 5555 1234"
    assert applications.data_type == "n" and isinstance(applications.value, int)
    text = b"".join(client.get("/suppliers/?export=csv").streaming_content).decode("utf-8-sig")
    assert "'+86" not in text and "+86 21 5555 1234" in text


@pytest.mark.django_db
def test_the_licences_export_has_a_row_a_line_with_its_balance_as_numbers(scene, viewer, client):
    client.force_login(viewer)
    sheet = workbook(client.get("/licences/?export=xlsx")).active
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    lic = next(r for r in rows if r["Number"].value == "LIC-2025-0812" and r["Item"].value == "DY2O3")
    for name in ("Approved", "Drawn", "Balance"):
        assert lic[name].data_type == "n", name
    assert lic["Approved"].value - lic["Drawn"].value == lic["Balance"].value
    assert lic["Valid until"].is_date

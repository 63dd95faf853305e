"""Benchmark data generator (PostgreSQL only): millions of rows in seconds.

Rows are written with ``INSERT ... SELECT ... FROM generate_series`` so that the data set of
docs/benchmarks.md (100,000 applications with 300,000 lines; 1,000,000 open applications, licences
and shipments for the scan) takes seconds, not the minutes ``bulk_create`` would. Columns
are derived from the models, so a new NOT NULL column gets a neutral value instead of
breaking the generator. History tables stay empty: the benchmarks read current rows.

Usage (from bench/run): ``generate(applications=100_000, lines_per_application=3, ...)``.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, models

from licensing.models import (
    ApplicationEvent,
    ApplicationLine,
    ControlledItem,
    Licence,
    LicenceApplication,
    LicenceLine,
)
from shipments.models import Shipment, ShipmentLine
from suppliers.models import Supplier

TODAY = dt.date(2026, 11, 23)  # the benchmark's fixed "today" (time-machine in bench/run)
# Every generated row was last written before the benchmark's "today": the scan's incremental
# checks (rows changed since the previous scan) then see an old data set with nothing new, as
# in production, instead of a million rows stamped with the wall clock of the generation.
WRITTEN = f"(TIMESTAMPTZ '{TODAY} 00:00:00+00' - interval '2 days')"


def _neutral(field: models.Field) -> str:
    if field.null:
        return "NULL"
    if isinstance(field, models.BooleanField):
        return "false"
    if isinstance(field, models.JSONField):
        return "'[]'::jsonb"
    if isinstance(field, models.DateTimeField):
        return WRITTEN
    if isinstance(field, (models.CharField, models.TextField)):
        return "''"
    if isinstance(field, (models.IntegerField, models.DecimalField)):
        return "0"
    raise ValueError(f"no neutral value for {field!r}")


def insert_series(model: type[models.Model], n: int, exprs: dict[str, str], *, start: int = 1) -> None:
    """Insert n rows of ``model``; ``i`` is the series variable usable in ``exprs``."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        values.append(exprs.get(field.attname, exprs.get(field.name)) or _neutral(field))
    table = connection.ops.quote_name(model._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM generate_series({start}, {start + n - 1}) AS i"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)


def _ids(model: type[models.Model]) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {connection.ops.quote_name(model._meta.db_table)}")
        return cursor.fetchone()


def generate(
    *,
    suppliers: int = 50,
    applications: int = 100_000,
    lines_per_application: int = 3,
    licences: int = 0,
    shipments: int = 0,
    all_open: bool = False,
) -> dict[str, int]:
    """Fill the database; returns the row counts made. Items come from seed_reference_data."""
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark generator needs PostgreSQL (DATABASE_URL).")
    items = list(ControlledItem.objects.order_by("id").values_list("id", flat=True))
    if not items:
        raise SystemExit("Run seed_reference_data first.")
    item_lo, n_items = items[0], len(items)
    insert_series(
        Supplier,
        suppliers,
        {"name": "'Bench supplier ' || i", "country": "'CN'", "active": "true"},
    )
    sup_lo, _ = _ids(Supplier)
    sup = f"({sup_lo} + (i % {suppliers}))"
    today = f"DATE '{TODAY}'"

    # Applications: with all_open every one is accepted with a due date far enough ahead that
    # no alert is due (the "scan with nothing new to alert" case); otherwise a realistic mix.
    if all_open:
        status = "'accepted'"
        accepted = f"{today} - (i % 20)"
        decided = "NULL"
        due = f"{today} + 30 + (i % 30)"
        decided_wd = "NULL"
        submitted = f"{today} - 230 + (i % 150)"
    else:
        status = (
            "(ARRAY['draft','documents_pending','submitted','accepted','supplement_requested',"
            "'approved','rejected','withdrawn'])[1 + i % 8]"
        )
        # Decided files were decided 20 to 119 days after acceptance, with the due date (45
        # working days, about 63 calendar days) and the working days to decision stored, as the
        # services store them.
        accepted = f"CASE WHEN i % 8 >= 3 AND i % 8 <> 7 THEN {today} - 250 + (i % 120) END"
        decided = f"CASE WHEN i % 8 IN (5, 6) THEN {today} - 250 + (i % 120) + 20 + (i % 100) END"
        due = (f"CASE WHEN i % 8 IN (3, 4) THEN {today} - 20 + (i % 60) "
               f"WHEN i % 8 IN (5, 6) THEN {today} - 250 + (i % 120) + 63 END")
        decided_wd = "CASE WHEN i % 8 IN (5, 6) THEN ((20 + (i % 100)) * 5) / 7 END"
        submitted = f"{today} - 255 + (i % 120)"
    insert_series(
        LicenceApplication,
        applications,
        {
            "reference": "'LA-B-' || lpad(i::text, 7, '0')",
            "external_ref": "'ERP-APP-' || i",
            "supplier_id": sup,
            "end_user": "'Motor Works GmbH'",
            "destination_country": "'DE'",
            "kind": "'single'",
            "status": status,
            "submitted_on": submitted,
            "accepted_on": accepted,
            "decided_on": decided,
            "decision_due": due,
            "decision_working_days": decided_wd,
            "created_at": f"{WRITTEN} - make_interval(secs => i)",
            "updated_at": f"{WRITTEN} - make_interval(secs => i)",
        },
    )
    app_lo, app_hi = _ids(LicenceApplication)
    n_lines = applications * lines_per_application
    insert_series(
        ApplicationLine,
        n_lines,
        {
            "application_id": f"{app_lo} + ((i - 1) / {lines_per_application})",
            "item_id": f"{item_lo} + (i % {n_items})",
            "quantity": "100 + (i % 900)",
            "unit": "'kg'",
            "value": "(100 + (i % 900)) * 350",
            "currency": "'USD'",
        },
    )
    insert_series(
        ApplicationEvent,
        applications,
        {
            "application_id": f"{app_lo} + i - 1",
            "from_status": "'draft'",
            "to_status": "'submitted'",
            "on": f"{today} - 230 + (i % 150)",
            "recorded_at": WRITTEN,
            "processed_at": WRITTEN,
        },
    )
    made = {"suppliers": suppliers, "applications": applications, "application_lines": n_lines, "events": applications}

    if licences:
        insert_series(
            Licence,
            licences,
            {
                "number": "'LIC-B-' || i",
                "supplier_id": sup,
                "kind": "'single'",
                "valid_from": f"{today} - 100",
                "valid_until": f"{today} + 200 + (i % 100)",
                "status": "'active'",
            },
        )
        lic_lo, _ = _ids(Licence)
        insert_series(
            LicenceLine,
            licences,
            {
                "licence_id": f"{lic_lo} + i - 1",
                "item_id": f"{item_lo} + (i % {n_items})",
                "approved_quantity": "1000000",
                "unit": "'kg'",
            },
        )
        made |= {"licences": licences, "licence_lines": licences}
    if shipments:
        lic_lo, _ = _ids(Licence) if licences else (None, None)
        insert_series(
            Shipment,
            shipments,
            {
                "supplier_id": sup,
                "licence_id": f"{lic_lo} + (i % {licences})" if licences else "NULL",
                "reference": "'BL-B-' || i",
                "external_ref": "'ERP-SHP-' || i",
                "status": "'booked'",
                "planned_ship_date": f"{today} + 10 + (i % 50)",
                "eta": f"{today} + 60 + (i % 50)",
            },
        )
        shp_lo, _ = _ids(Shipment)
        insert_series(
            ShipmentLine,
            shipments,
            {
                "shipment_id": f"{shp_lo} + i - 1",
                "item_id": (f"{item_lo} + (((i % {licences}) + 1) % {n_items})" if licences else f"{item_lo}"),
                "quantity": "10",
                "unit": "'kg'",
            },
        )
        made |= {"shipments": shipments, "shipment_lines": shipments}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return made

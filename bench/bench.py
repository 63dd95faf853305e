"""The benchmarks of docs/benchmarks.md, each beside its bare baseline in the same run.

Run with ``make bench`` (PostgreSQL required; see bench/run). Prints a Markdown table that
goes into docs/benchmarks.md as measured. Figures are medians of several runs; the machine
is shared and noisy, so compare the ratio to the baseline more than the absolute time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
django.setup()

import time_machine  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.generate import TODAY, generate  # noqa: E402

ROWS: list[tuple[str, str, str, str]] = []


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm caches and connections
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def queries_of(fn: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def record(what: str, data: str, measured: str, target: str) -> None:
    ROWS.append((what, data, measured, target))
    print(f"- {what} [{data}]: {measured} (target: {target})", flush=True)


def api_key(scope: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("create_api_key", f"bench-{scope}-{time.time_ns()}", scope=scope, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def bench_api_list(key: str, runs: int) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    url = "/api/v1/applications/?page_size=100"

    def get():
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        return response

    api_ms = median_ms(get, runs)
    n_queries = queries_of(get)
    ids = [row["id"] for row in get().json()["results"]]
    # The bare baseline: one SQL statement returning the same 100 rows (with lines and
    # events) as JSON, built by PostgreSQL itself.
    sql = """
        SELECT json_agg(row_to_json(a) ORDER BY a.created_at DESC, a.id DESC) FROM (
          SELECT app.*,
            (SELECT json_agg(l) FROM licensing_applicationline l WHERE l.application_id = app.id) AS lines,
            (SELECT json_agg(e) FROM licensing_applicationevent e WHERE e.application_id = app.id) AS events
          FROM licensing_licenceapplication app WHERE app.id = ANY(%s)
        ) a
    """

    def bare():
        with connection.cursor() as cursor:
            cursor.execute(sql, [ids])
            return cursor.fetchone()

    bare_ms = median_ms(bare, runs)
    record(
        "GET /api/v1/applications/?page_size=100",
        "100,000 applications, 300,000 lines",
        f"median {api_ms:.1f} ms in-process, {n_queries} queries; bare SQL {bare_ms:.1f} ms "
        f"(ratio {api_ms / bare_ms:.1f}x)",
        "≤ 30 ms, ≤ 4 × bare SQL, ≤ 8 queries",
    )


def bench_api_load(key: str, seconds: int) -> None:
    wrk = shutil.which("wrk")
    if not wrk:
        record("same, under load", "gunicorn 2 workers", "not measured: wrk is not installed", "≥ 200 req/s")
        return
    port = 18765
    env = dict(os.environ)
    server = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--log-level", "warning"],
        env=env,
    )
    try:
        time.sleep(3)
        script = os.path.join(os.path.dirname(__file__), "wrk_token.lua")
        out = subprocess.run(
            [wrk, "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", script,
             f"http://127.0.0.1:{port}/api/v1/applications/?page_size=100", "--", key],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        server.terminate()
        server.wait(10)
    rps = next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec"))
    errors = [line.strip() for line in out.splitlines() if "Non-2xx" in line or "Socket errors" in line]
    p90 = next((line.split()[1] for line in out.splitlines() if line.strip().startswith("90%")), "?")
    p99 = next((line.split()[1] for line in out.splitlines() if line.strip().startswith("99%")), "?")
    record(
        "same, under load",
        f"gunicorn 2 workers, {seconds} s, 16 connections (wrk, second process)",
        f"{rps} req/s, p90 {p90}, p99 {p99}; errors: {'; '.join(errors) or 'none'}",
        "≥ 200 req/s, p95 ≤ 100 ms, no errors",
    )


def bench_scan(runs: int) -> None:
    from io import StringIO

    def scan():
        call_command("scan_alerts", stdout=StringIO())

    with time_machine.travel(TODAY.isoformat() + " 04:00Z", tick=True):
        scan()  # the first scan may alert what the data set makes due; then nothing is new
        ms = median_ms(scan, runs)
        n = queries_of(scan)
    record(
        "deadline scan, nothing new to alert",
        "1,000,000 open applications, licences and shipments",
        f"median {ms:.0f} ms, {n} queries",
        "≤ 1 s, ≤ 20 queries",
    )


def bench_bulk(key: str, runs: int) -> None:
    from licensing.models import ControlledItem
    from shipments.models import Shipment, ShipmentLine, Supplier

    supplier = Supplier.objects.order_by("id").first()
    items = list(ControlledItem.objects.order_by("id").values_list("code", "id")[:2])
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")

    def payload(tag: str) -> list[dict]:
        return [
            {
                "external_ref": f"BULK-{tag}-{i}",
                "supplier": supplier.id,
                "reference": f"BL-BULK-{tag}-{i}",
                "status": "planned",
                "planned_ship_date": "2026-12-01",
                "eta": "2027-01-10",
                "lines": [{"item": items[0][0], "quantity": "5", "unit": "kg"},
                          {"item": items[1][0], "quantity": "7", "unit": "kg"}],
            }
            for i in range(10_000)
        ]

    times = []
    for run in range(runs):
        body = json.dumps(payload(f"r{run}"))
        start = time.perf_counter()
        response = client.post("/api/v1/shipments/bulk/", body, content_type="application/json")
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code in (200, 201), response.content[:500]
    api_ms = statistics.median(times)

    def bare(tag: str) -> float:
        start = time.perf_counter()
        shipments = Shipment.objects.bulk_create(
            [Shipment(supplier=supplier, reference=f"BL-BARE-{tag}-{i}", external_ref=f"BARE-{tag}-{i}",
                      status="planned") for i in range(10_000)], batch_size=2000,
        )
        ShipmentLine.objects.bulk_create(
            [ShipmentLine(shipment=s, item_id=item_id, quantity=q, unit="kg")
             for s in shipments for (_, item_id), q in zip(items, (5, 7), strict=True)], batch_size=5000,
        )
        return (time.perf_counter() - start) * 1000

    bare_ms = statistics.median(bare(f"r{run}") for run in range(runs))
    record(
        "bulk shipment upsert (POST /api/v1/shipments/bulk/)",
        "10,000 shipments with 2 lines each, one call",
        f"median {api_ms / 1000:.2f} s; bare bulk_create {bare_ms / 1000:.2f} s (ratio {api_ms / bare_ms:.1f}x)",
        "≤ 3 s, ≤ 3 × bare bulk_create",
    )


def bench_dashboard(runs: int) -> None:
    from core.roles import Role, assign_role

    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    assign_role(user, Role.VIEWER)
    client = Client()
    client.force_login(user)

    def get():
        response = client.get("/")
        assert response.status_code == 200
        return response

    with time_machine.travel(TODAY.isoformat() + " 04:00Z", tick=True):
        ms = median_ms(get, runs)
        n = queries_of(get)
    record("dashboard page (GET /)", "100,000 applications", f"median {ms:.0f} ms server time, {n} queries",
           "≤ 300 ms, ≤ 20 queries")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--load-seconds", type=int, default=30)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Benchmarks run on PostgreSQL: set DATABASE_URL (bench/run does).")
    wanted = set(args.only or ["list", "load", "dashboard", "bulk", "scan"])
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"PostgreSQL {connection.cursor().connection.info.server_version}", flush=True)

    call_command("migrate", verbosity=0)
    call_command("seed_reference_data", verbosity=0)
    if wanted & {"list", "load", "dashboard", "bulk"}:
        start = time.perf_counter()
        made = generate(applications=100_000, lines_per_application=3)
        print(f"Generated {made} in {time.perf_counter() - start:.1f} s", flush=True)
        key = api_key("write")
        reset_queries()
        if "list" in wanted:
            bench_api_list(key, args.runs)
        if "load" in wanted:
            bench_api_load(key, args.load_seconds)
        if "dashboard" in wanted:
            bench_dashboard(args.runs)
        if "bulk" in wanted:
            bench_bulk(key, max(3, args.runs // 2))
    if "scan" in wanted:
        with connection.cursor() as cursor:  # a fresh data set shaped for the scan
            cursor.execute(
                "TRUNCATE licensing_licenceapplication, licensing_licence, shipments_shipment, "
                "suppliers_supplier RESTART IDENTITY CASCADE"
            )
        start = time.perf_counter()
        made = generate(applications=1_000_000, lines_per_application=1, licences=1_000_000,
                        shipments=1_000_000, all_open=True)
        print(f"Generated {made} in {time.perf_counter() - start:.1f} s", flush=True)
        bench_scan(args.runs)

    print("\n| what | data | measured | target |\n|---|---|---|---|")
    for row in ROWS:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()

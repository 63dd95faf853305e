"""The curl examples of README.md's "Integrating your ERP" run as written against a live server
on 127.0.0.1 (a free port), with a real write key, and answer what the README says."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.db import connections
from django.test.testcases import LiveServerThread

from core.api.keys import api_key_create

README = Path(__file__).resolve().parents[2] / "README.md"

# What each ```bash block of the section must print, in order.
EXPECTED = [
    [],  # setup: API, KEY, json_id
    ['"count":', '"code":"DY"'],
    ['"type":"validation_error"', '"attr":"status"'],
    [re.compile(r"^supplier \d+$", re.M)],
    ['"status":"accepted"', '"decision_due":"2025-12-04"', '"recorded_by":"api:readme-erp"'],
    ['"status":"approved"', '"decided_on":"2026-03-02"'],
    ['"attr":"[1].lines[0].quantity"', '"code":"overdraw"', "has 300 kg of DY left"],
    ['"created":2', '"reserved_quantity":"450.000"', '"balance":"50.000"'],
    ['"external_ref":"SAP-LA-1"', '"count":1', '"cursor":"', '"count":0,"next":null'],
    ['"notes":"Preferred supplier for Dy"', '"code":"precondition_failed"'],
    [re.compile(r"HTTP/1.1 201.*HTTP/1.1 201", re.S), "Idempotent-Replayed: true"],
]


def bash_blocks() -> list[str]:
    section = README.read_text().split("## Integrating your ERP", 1)[1]
    return re.findall(r"```bash\n(.*?)```", section, re.S)


@pytest.fixture
def live_api(transactional_db):
    """Django's live server thread (as LiveServerTestCase runs it) on 127.0.0.1, a free port."""
    # An in-memory SQLite test database is shared with the server thread, as Django does.
    override = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    for conn in override.values():
        conn.inc_thread_sharing()
    server = LiveServerThread("127.0.0.1", lambda app: app, connections_override=override, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.terminate()
        for conn in override.values():
            conn.dec_thread_sharing()


def test_the_readme_curl_examples_work_as_written(live_api, settings):
    # The examples sync rows made a moment before: no settle window for them to wait out.
    settings.API_SYNC_SETTLE_SECONDS = 0
    blocks = bash_blocks()
    assert len(blocks) == len(EXPECTED), "update EXPECTED when adding or removing README examples"
    with time_machine.travel(dt.datetime(2026, 3, 10, 2, tzinfo=dt.UTC), tick=True):
        call_command("seed_reference_data", verbosity=0)
        _, raw = api_key_create(name="readme-erp", scope="write")
        setup = blocks[0]
        assert "export API=http://127.0.0.1:8000/api/v1" in setup and "create_api_key my-erp --scope write" in setup
        setup = re.sub(r"^export API=.*$", f"export API={live_api}/api/v1", setup, flags=re.M)
        setup = re.sub(r"^export KEY=.*$", f"export KEY={raw}", setup, flags=re.M)
        script = "set -euo pipefail\n" + "".join(
            f"printf '\\n@@BLOCK {i}\\n'\n{block}\n" for i, block in enumerate([setup, *blocks[1:]])
        )
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    outputs = re.split(r"\n@@BLOCK \d+\n", done.stdout)[1:]
    assert len(outputs) == len(EXPECTED)
    for i, (output, expected) in enumerate(zip(outputs, EXPECTED, strict=True)):
        for want in expected:
            found = want.search(output) if isinstance(want, re.Pattern) else want in output
            assert found, f"README example {i} should print {want!r}; it printed:\n{output}"

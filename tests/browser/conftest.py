"""Playwright driving Debian's Chromium against pytest-django's live server.

Never downloads a browser: the tests use the `chromium` binary on the PATH (installed by
.ci/run) and skip, saying why, when there is none. The live server runs in this process, so
the data is committed (transactional_db) and Django's async-unsafe guard is lifted for the
Playwright sync API's event loop.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import time_machine

from core.roles import Role
from tests.factories import UserFactory
from tests.ui.scene import NOW, build_scene

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# The README's screenshots are refreshed only on request (UPDATE_SCREENSHOTS=1 make test
# ARGS="-m browser"), so that an ordinary test run leaves the checkout unchanged; otherwise
# they are taken all the same (rendering must not fail) into a scratch folder.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "raretrack-screenshots"
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=en-GB",
]


@pytest.fixture(scope="session")
def chromium():
    executable = shutil.which("chromium")
    if not executable:
        pytest.skip("Debian's chromium is not on the PATH (apt-get install -y chromium); browser tests need it")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def world(transactional_db, settings):
    # The server's clock is frozen in December 2025 while Chromium lives in real time: cookies
    # without an expiry date (browser-session cookies, CSRF token in the session) keep the
    # login valid whatever the gap between the two.
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_USE_SESSIONS = True
    settings.MEDIA_ROOT = str(Path(settings.VAR_DIR) / "browser-media")
    with time_machine.travel(NOW, tick=True):
        scene = build_scene()
        scene.users = {
            "procurement": UserFactory(username="pat", first_name="Pat", role=Role.PROCUREMENT),
            "compliance": UserFactory(username="chen", first_name="Chen", role=Role.COMPLIANCE),
        }
        yield scene


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(
        viewport={"width": 1440, "height": 900}, locale="en-GB", accept_downloads=True, base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def login(page, username: str, password: str = "pw") -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


# --- The main pages, and axe-core ----------------------------------------------------------------


def main_pages(world) -> list[str]:
    """Every main page of the product, with the scene's records for the detail pages: the pages
    the browser suite checks for sideways scrolling and for accessibility. Needs an admin (API
    keys, webhooks); the last two are the supplier portal's, reached by a contact's link."""
    from portal.services import link_issue
    from suppliers.services import supplier_contact_save

    app = world.apps["due"]
    contact = supplier_contact_save(supplier=app.supplier, name="Li Wei", email="li.wei@baotou.example.cn")
    portal = f"/s/{link_issue(contact=contact).token}/"
    return [
        "/", "/applications/", f"/applications/{app.pk}/", "/applications/new/",
        "/licences/", f"/licences/{world.licences['long'].pk}/", "/licences/new/",
        "/shipments/", f"/shipments/{world.shipments['held'].pk}/", "/shipments/new/", "/shipments/import/",
        "/purchase-orders/", f"/purchase-orders/{world.orders['risk'].pk}/", "/purchase-orders/import/",
        "/suppliers/", f"/suppliers/{app.supplier_id}/", "/policy/", "/policy/calendar/",
        "/products/", "/products/import/", "/what-if/",
        "/alerts/", "/settings/notifications/", "/settings/api-keys/", "/settings/webhooks/",
        portal, f"{portal}a/{app.pk}/",
    ]


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, from the npm registry at the version pinned in package-lock.json,
    installed once per lock file with ``npm ci`` under var/ (ignored by git)."""
    npm = shutil.which("npm")
    if not npm:
        pytest.skip("npm is not on the PATH (apt-get install -y npm): the accessibility checks install axe-core")
    lock = HERE / "package-lock.json"
    folder = ROOT / "var" / "browser-js" / hashlib.sha256(lock.read_bytes()).hexdigest()[:12]
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as guard:  # two xdist workers install it once
        fcntl.flock(guard, fcntl.LOCK_EX)
        if not script.exists():
            for name in ("package.json", "package-lock.json"):
                shutil.copy(HERE / name, folder / name)
            subprocess.run(
                [npm, "ci", "--prefix", str(folder), "--ignore-scripts", "--no-audit", "--no-fund"],
                check=True, capture_output=True, timeout=600,
            )
    return script.read_text(encoding="utf-8")


AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary.split('\\n').slice(1).join(' ')),
  }));
}"""


def axe_violations(page, axe_source: str) -> list[dict]:
    """The serious and critical axe-core violations of the page as it stands."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    return page.evaluate(AXE_RUN)

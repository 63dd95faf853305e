"""The what-if page and a policy event's impact in a real browser (docs/exposure.md)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from playwright.sync_api import expect

from core.roles import Role
from tests.exposure.helpers import build_book, build_rules
from tests.factories import UserFactory

from .conftest import login, screenshot

pytestmark = [pytest.mark.browser]


@pytest.fixture
def exposure_world(transactional_db, settings):
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_USE_SESSIONS = True
    with time_machine.travel(dt.datetime(2026, 9, 15, 4, tzinfo=dt.UTC), tick=True):
        world = build_rules()
        build_book(world)
        UserFactory(username="chen", first_name="Chen", role=Role.COMPLIANCE)
        yield world


def test_it_shows_what_newly_needs_a_licence_and_exports_it(page, exposure_world):
    login(page, "chen")
    page.goto("/what-if/")
    # The default date is the scheduled end of the suspension; "as scheduled" it ends.
    expect(page.locator("input[name=on]")).to_have_value("2026-11-10")
    page.select_option("select[name=scenario]", label="Extended by a year")
    page.click("#what-if-form button[type=submit]")
    expect(page.locator("#newly .orders")).to_have_count(0)
    page.select_option("select[name=scenario]", label="Suspension ends")
    page.fill("input[name=on]", "2026-11-20")
    page.click("#what-if-form button[type=submit]")
    expect(page.locator("#newly .orders tbody tr")).to_have_count(1)
    expect(page.locator("#newly .orders")).to_contain_text("PO-HO")
    expect(page.locator("#newly .per-element")).to_contain_text("2.000")
    expect(page.locator("#newly .products")).to_contain_text("MTR-1")
    expect(page.locator("#newly .destinations")).to_have_text("DE US")
    screenshot(page, "what-if.png")
    with page.expect_download() as download:
        page.click("#what-if-export")
    wb = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    assert [r[1] for r in wb["Orders"].iter_rows(min_row=2, values_only=True)] == ["PO-HO"]


def test_it_shows_a_policy_events_impact_and_its_count_on_the_calendar(page, exposure_world):
    login(page, "chen")
    page.goto("/policy/?month=2026-11")
    badge = page.locator(f"a[href='/policy/{exposure_world.expiry.pk}/'] .badge")
    expect(badge).to_have_text("4")
    badge.click()
    expect(page.locator("[data-testid=impact-count]")).to_have_text("4")
    expect(page.locator("#impact-elements")).to_contain_text("Ho")
    expect(page.locator("#impact-products")).to_contain_text("MTR-1")
    page.select_option("#impact-scenario", label="Extended by a year")
    expect(page.locator("[data-testid=impact-count]")).to_have_text("3")
    screenshot(page, "policy-impact.png")

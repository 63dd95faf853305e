"""What a new user meets in the first hour, in a real browser: errors shown where they acted."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from playwright.sync_api import expect

from .conftest import login, main_pages, screenshot

pytestmark = [pytest.mark.browser]


def _record(page, to: str, on: str) -> None:
    page.select_option("#id_to", to)
    page.fill("#id_on", on)
    page.click("text=Record step")


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js-swap"])
def test_it_shows_each_workflow_error_where_the_user_acted(page, world, htmx):
    if not htmx:
        # Without htmx the form posts and the whole page comes back.
        page.route("**/htmx-*.min.js", lambda route: route.abort())
    login(page, "pat")
    app = world.apps["submitted"]  # submitted on 20 Nov 2025; today is 1 Dec 2025
    page.goto(f"/applications/{app.pk}/")

    _record(page, "accepted", "2025-11-19")
    error = page.locator("#workflow .errorlist, #workflow .form-errors")
    expect(error.first).to_be_visible()
    assert "before" in page.locator("#workflow").inner_text().lower()

    _record(page, "accepted", "2025-11-24")  # a good step: the success replaces the error
    expect(page.locator(".message.success")).to_contain_text("moved to Accepted")
    expect(page.locator("#workflow .form-errors, #workflow .errorlist")).to_have_count(0)

    _record(page, "supplement_requested", "2026-01-15")  # in the future
    expect(page.locator("#workflow")).to_contain_text("after today")
    expect(page.locator(".message.success")).to_have_count(0)  # the old banner does not linger

    page.select_option("#id_to", "approved")
    page.fill("#id_on", "2025-11-28")
    page.fill("#id_licence-number", "")
    page.fill("#id_licence-valid_from", "2025-12-01")
    page.fill("#id_licence-valid_until", "2025-11-01")
    page.click("text=Record step")
    expect(page.locator("#licence-fields")).to_contain_text("required")
    text = page.locator("#licence-fields").inner_text().lower()
    assert "valid from" in text or "before" in text or "after" in text, text
    app.refresh_from_db()
    assert app.status == "accepted"


def _dialog(page):
    dialog = page.locator("dialog#confirm-dialog")
    expect(dialog).to_be_visible()
    return dialog


def test_it_asks_before_revoking_a_key_resetting_the_calendar_link_and_marking_all_read(page, world):
    from core.models import ApiKey
    from notifications.models import Alert, Delivery, Preference
    from tests.factories import UserFactory

    ada = UserFactory(username="ada", role="admin")
    login(page, "ada")
    page.goto("/settings/api-keys/")
    page.fill("#id_name", "sap-prod")
    page.click("text=Create key")
    page.click("button:has-text('Revoke')")
    dialog = _dialog(page)
    assert "sap-prod" in dialog.inner_text() and "refused" in dialog.inner_text()
    dialog.locator("text=Cancel").click()
    expect(dialog).to_be_hidden()
    assert ApiKey.objects.get(name="sap-prod").revoked_at is None
    page.click("button:has-text('Revoke')")
    _dialog(page).locator("#confirm-ok").click()
    expect(page.locator(".badge", has_text="Revoked")).to_be_visible()
    assert ApiKey.objects.get(name="sap-prod").revoked_at is not None

    page.goto("/settings/notifications/")
    before = Preference.objects.get(user__username="ada").ics_token
    page.click("button:has-text('Make a new link')")
    assert "stops working" in _dialog(page).inner_text()
    page.locator("#confirm-ok").click()
    expect(page.locator(".message.success")).to_be_visible()
    assert Preference.objects.get(user__username="ada").ics_token != before

    alert = Alert.objects.create(kind="shipment_late", subject_type="shipment", subject_id=1, threshold="eta@x",
                                 alerted_on=dt.date(2025, 12, 1), batch=uuid.uuid4(), message="Shipment X is late.")
    Delivery.objects.create(alert=alert, user=ada, mode="digest")
    page.goto("/alerts/")
    page.click("button:has-text('Mark all read')")
    assert "Nothing is deleted" in _dialog(page).inner_text()
    page.locator("#confirm-ok").click()
    expect(page.locator(".message.success")).to_contain_text("1 marked read")
    assert Delivery.objects.get(alert=alert).read_at is not None


def test_it_asks_before_removing_a_day_from_the_working_calendar_and_names_the_date(page, world):
    from licensing.models import CalendarOverride
    from licensing.services import calendar_override_save

    day = calendar_override_save(date=dt.date(2025, 12, 2), kind="day_off", note="State Council notice")
    login(page, "chen")
    page.goto("/policy/calendar/")
    page.click("button:has-text('Remove')")
    dialog = _dialog(page)
    assert "Tuesday 2 December 2025" in dialog.inner_text() and "recomputed" in dialog.inner_text()
    dialog.locator("text=Cancel").click()
    expect(dialog).to_be_hidden()
    assert CalendarOverride.objects.filter(pk=day.pk).exists()
    page.click("button:has-text('Remove')")
    _dialog(page).locator("#confirm-ok").click()
    expect(page.locator(".message.success")).to_be_visible()
    assert not CalendarOverride.objects.filter(pk=day.pk).exists()


@pytest.mark.parametrize(
    ("key", "to", "label"), [("submitted", "withdrawn", "Withdrawn"), ("due", "rejected", "Rejected")]
)
def test_it_asks_before_a_final_step_and_names_it(page, world, key, to, label):
    login(page, "pat")
    app = world.apps[key]
    before = app.status
    page.goto(f"/applications/{app.pk}/")
    page.select_option("#id_to", to)
    page.fill("#id_on", "2025-11-28")
    page.click("text=Record step")
    dialog = _dialog(page)
    assert label in dialog.inner_text() and app.reference in dialog.inner_text()
    assert "final status" in dialog.inner_text()
    dialog.locator("text=Cancel").click()
    expect(dialog).to_be_hidden()
    app.refresh_from_db()
    assert app.status == before
    page.click("text=Record step")
    _dialog(page).locator("#confirm-ok").click()
    expect(page.locator("h1")).to_contain_text(label)
    app.refresh_from_db()
    assert app.status == to


def test_the_api_docs_render_offline_from_our_own_files(page, world):
    outside = []  # every request leaving our server is refused, as on a machine without internet
    login(page, "pat")
    origin = page.url.split("/", 3)[:3]
    origin = "/".join(origin)
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(origin)
               else (outside.append(route.request.url), route.abort()))
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Rare-earth licence tracker API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert outside == [], outside


OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_every_main_page_fits_a_phone_and_a_desktop_without_sideways_scrolling(page, world):
    from licensing.models import LicenceApplication
    from tests.factories import UserFactory

    LicenceApplication.objects.filter(pk=world.apps["due"].pk).update(end_use="x" * 20_000)  # one long word
    UserFactory(username="ada", role="admin")
    login(page, "ada")
    paths = main_pages(world)
    wide = {}
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for path in paths:
            page.goto(path)
            extra = page.evaluate(OVERFLOW)
            if extra > 0:
                wide[(width, path)] = extra
    assert wide == {}
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    screenshot(page, "dashboard-phone.png")


"""What a new user meets in the first hour, in a real browser: errors shown where they acted."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import login

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

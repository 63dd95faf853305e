"""axe-core (from the npm registry, pinned in tests/browser/package-lock.json) on every main page:
no serious or critical violation (missing labels, contrast under 4.5:1, missing landmarks,
buttons without a name)."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory

from .conftest import axe_violations, login, main_pages

pytestmark = [pytest.mark.browser]


def test_every_main_page_passes_axe_core_without_a_serious_or_critical_violation(page, world, axe_source):
    UserFactory(username="ada", role="admin")
    login(page, "ada")
    found = {}
    for path in main_pages(world):
        page.goto(path)
        if violations := axe_violations(page, axe_source):
            found[path] = violations
    assert found == {}


def test_the_application_page_with_its_forms_open_passes_axe_core(page, world, axe_source):
    # The workflow form with the licence fields and the correction form, shown.
    login(page, "chen")
    page.goto(f"/applications/{world.apps['due'].pk}/")
    page.select_option("#id_to", "approved")
    page.click("text=Correct the last step")
    assert axe_violations(page, axe_source) == []

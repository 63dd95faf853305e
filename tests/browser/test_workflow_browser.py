"""The application page in a real browser: correcting a step recorded by mistake, the clock panel
that never overlaps, and "Assign it" arriving with the suggested licence."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import login

pytestmark = [pytest.mark.browser]


def test_a_compliance_user_undoes_a_step_after_a_dialog_naming_it_and_sees_it_marked(page, world):
    from licensing.models import ApplicationEvent, LicenceApplication

    app = world.apps["paused"]  # accepted 3 Sept, supplement requested 20 Oct 2025
    login(page, "chen")
    page.goto(f"/applications/{app.pk}/")
    page.click("text=Correct the last step")
    page.select_option("#id_action", "undo")
    page.click("button:has-text('Correct the step')")
    dialog = page.locator("dialog#confirm-dialog")
    expect(dialog).to_be_visible()
    text = dialog.inner_text()
    assert "Supplement requested" in text and app.reference in text and "back to Accepted" in text, text
    page.locator("#confirm-ok").click()
    expect(page.locator("#id_reason").locator("..")).to_contain_text("Say why")  # the reason is required
    page.fill("#id_reason", "MOFCOM's request was for another file")
    page.click("button:has-text('Correct the step')")
    page.locator("#confirm-ok").click()
    expect(page.locator(".message.success")).to_contain_text("undone")
    voided = page.locator(".timeline li.voided")
    expect(voided).to_have_count(1)
    expect(voided).to_contain_text("Supplement requested")
    expect(voided).to_contain_text("Voided")
    expect(voided).to_contain_text("by chen: MOFCOM's request was for another file")
    expect(page.locator("h1")).to_contain_text("Accepted")
    expect(page.locator("h1")).not_to_contain_text("Clock paused")
    assert LicenceApplication.objects.get(pk=app.pk).status == "accepted"
    assert ApplicationEvent.with_voided.filter(application=app, voided_at__isnull=False).count() == 1


def test_a_procurement_user_is_not_offered_the_correction(page, world):
    login(page, "pat")
    page.goto(f"/applications/{world.apps['paused'].pk}/")
    expect(page.locator("h2", has_text="Timeline")).to_be_visible()
    expect(page.locator("text=Correct the last step")).to_have_count(0)

# The extent of each text in the clock panel (a Range measures the text itself, which may spill
# out of its grid cell), with the index of the cell it belongs to.
CLOCK_BOXES = """() => [...document.querySelectorAll('.clock > div')].flatMap((cell, i) =>
  [...cell.querySelectorAll('.k, .v, .badge, .small')].map(el => {
    const range = document.createRange(); range.selectNodeContents(el);
    const r = range.getBoundingClientRect();
    return {cell: i, text: el.textContent.trim(), left: r.left, right: r.right, top: r.top, bottom: r.bottom};
  }))"""


def _overlaps(boxes: list[dict]) -> list[tuple[str, str]]:
    return [
        (a["text"], b["text"])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1:]
        if a["cell"] != b["cell"]
        and a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]
    ]


@pytest.mark.parametrize("width", [1440, 390])
def test_the_clock_panel_texts_never_overlap(page, world, width):
    login(page, "pat")
    page.set_viewport_size({"width": width, "height": 900})
    for key in ("due", "overdue", "h1"):  # a due date, an overdue one with its badge, a decided file
        page.goto(f"/applications/{world.apps[key].pk}/")
        boxes = page.evaluate(CLOCK_BOXES)
        assert any(b["text"] == "Working days elapsed" for b in boxes)
        assert _overlaps(boxes) == [], (key, width)

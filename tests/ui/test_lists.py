"""List pages: sorting, paging, and the clock badges they show."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from licensing import services
from tests.factories import ApplicationLineFactory, SupplierFactory


@pytest.mark.django_db
def test_lists_sort_and_page(scene, viewer, client, settings):
    settings.UI_PAGE_SIZE = 4
    client.force_login(viewer)
    first = client.get("/applications/?status=open&sort=due")
    page = first.context["page_obj"]
    assert page.paginator.count == 5 and page.paginator.num_pages == 2
    dues = [a.decision_due for a in first.context["rows"] if a.decision_due]
    assert dues == sorted(dues) and first.context["rows"][0] == scene.apps["overdue"]
    second = client.get("/applications/?status=open&sort=due&page=2")
    assert len(second.context["rows"]) == 1 and "Previous" in second.content.decode()
    descending = client.get("/applications/?status=open&sort=-due").context["rows"]
    assert descending[0] != first.context["rows"][0]
    assert client.get("/applications/?sort=nonsense&page=99").status_code == 200  # bad input: no 500


@pytest.mark.django_db
def test_due_dates_in_a_year_without_an_official_calendar_are_marked_estimated(viewer, client):
    with time_machine.travel(dt.datetime(2031, 11, 3, 4, tzinfo=dt.UTC), tick=False):
        app = services.application_create(
            supplier=SupplierFactory(),
            end_user="Motor Works GmbH",
            destination_country="DE",
            events=[{"to": "submitted", "on": "2031-09-25"}, {"to": "accepted", "on": "2031-09-30"}],
        )
        ApplicationLineFactory(application=app)
        client.force_login(viewer)
        detail = client.get(f"/applications/{app.pk}/").content.decode()
        assert "Estimated" in detail and "official holiday schedule" in detail
        assert 'class="badge estimated"' in client.get("/applications/").content.decode()


def test_charts_scale_to_the_largest_value_and_escape_labels():
    from django.template import Context, Template

    rows = [{"label": "<b>Baotou</b>", "value": 50}, {"label": "Ganzhou", "value": 25}]
    html = Template("{% load ui %}{% hbar_chart rows width=600 %}").render(Context({"rows": rows}))
    assert "&lt;b&gt;Baotou" in html and "<b>" not in html
    assert 'width="324.0"' in html and 'width="162.0"' in html  # 600 - 216 labels - 60 values = 324
    bar = Template("{% load ui %}{% balance_bar 100 30 20 'kg' %}").render(Context())
    assert 'width="30.0"' in bar and 'x="30.0"' in bar and "(50 %)" in bar

"""The policy-event admin saves through policy_event_save: bad lead days are a form error."""

import datetime as dt

import pytest

from licensing import services
from licensing.models import LEAD_DAYS_MESSAGE, LicenceApplication, PolicyEvent
from tests.factories import PolicyEventFactory


def _policy_form(**changes):
    data = {
        "date": "2025-12-15", "title": "Export control review", "jurisdiction": "CN", "kind": "tariff_threat",
        "summary": "", "elements": "Dy", "source_title": "", "source_url": "", "confidence": "medium",
        "lead_days": "[30, 7, 1]",
    }
    data.update(changes)
    return data


def test_lead_days_as_strings_in_the_admin_are_a_form_error_not_a_broken_scan(client, admin_user, frozen_today):
    event = PolicyEventFactory(date=dt.date(2025, 12, 15), title="Export control review", jurisdiction="CN")
    client.force_login(admin_user)
    response = client.post(f"/admin/licensing/policyevent/{event.pk}/change/", _policy_form(lead_days='["7"]'))
    assert response.status_code == 200  # the form again, with the error
    assert LEAD_DAYS_MESSAGE in response.content.decode()
    event.refresh_from_db()
    assert all(isinstance(d, int) for d in event.lead_days)


def test_a_policy_event_added_in_the_admin_goes_through_the_service(client, admin_user, item, frozen_today):
    client.force_login(admin_user)
    response = client.post(
        "/admin/licensing/policyevent/add/",
        _policy_form(elements=" ".join(item.element_list), lead_days="[1, 30, 7, 7]"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = PolicyEvent.objects.get(title="Export control review")
    assert event.lead_days == [30, 7, 1]  # sorted, de-duplicated by the service
    assert list(event.items.all()) == [item]  # derived from the elements when none are picked
    assert event.history.first().history_user == admin_user


@pytest.mark.parametrize("n", [2, 8])
def test_refreshing_many_clocks_costs_constant_queries(
    make_application, frozen_today, django_assert_max_num_queries, n
):
    apps = [make_application("accepted") for _ in range(n)]
    LicenceApplication.objects.filter(pk__in=[a.pk for a in apps]).update(decision_due=None)
    with django_assert_max_num_queries(10):  # calendar, rows, events, one bulk UPDATE: whatever n
        assert services.applications_refresh_clocks() == n
    assert LicenceApplication.objects.filter(decision_due__isnull=True).count() == 0


@pytest.mark.parametrize("bad_api, bad_form", [([400], "400"), (["seven"], "seven"), ([-1], "-1")])
def test_bad_lead_days_get_one_message_at_every_door(client, compliance, bad_api, bad_form):
    event = PolicyEventFactory(lead_days=[7])
    client.force_login(compliance)

    api = client.patch(
        f"/api/v1/policy-events/{event.pk}/", {"lead_days": bad_api}, content_type="application/json"
    )
    assert api.status_code == 400
    assert [e["detail"] for e in api.json()["errors"]] == [LEAD_DAYS_MESSAGE]

    form = client.post(f"/policy/{event.pk}/edit/", _policy_form(lead_days=bad_form) | {"jurisdiction": "CN"})
    assert form.status_code in (200, 422) and LEAD_DAYS_MESSAGE in form.content.decode()

    with pytest.raises(Exception) as raised:
        services.policy_event_save(event=event, lead_days=bad_api)
    assert LEAD_DAYS_MESSAGE in str(raised.value)
    event.refresh_from_db()
    assert event.lead_days == [7]

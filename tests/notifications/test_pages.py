"""The pages, the API, the calendar feed and the one-click unsubscribe link."""

import datetime as dt

import pytest
from icalendar import Calendar

from licensing.models import ApplicationStatus
from notifications import services
from notifications.models import Delivery, Kind, Preference, WebhookEndpoint
from notifications.transports.email import unsubscribe_url
from tests.factories import ApplicationFactory, LicenceFactory, PolicyEventFactory, ShipmentFactory

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerted(subscribers):
    ApplicationFactory(status=ApplicationStatus.ACCEPTED, accepted_on=dt.date(2025, 8, 1),
                       decision_due=dt.date(2025, 12, 4))
    LicenceFactory(valid_until=dt.date(2025, 12, 20))
    with at(2025, 12, 8):
        services.run_scan()


# --- Inbox --------------------------------------------------------------------------------------


def test_it_shows_the_users_alerts_filters_by_kind_and_marks_read(
    client, viewer, alerted, django_assert_max_num_queries
):
    client.force_login(viewer)
    with django_assert_max_num_queries(10):
        page = client.get("/alerts/")
    assert page.status_code == 200
    assert page.content.count(b'name="alert"') == 2
    filtered = client.get("/alerts/?kind=licence_expiring")
    assert filtered.content.count(b'name="alert"') == 1 and b"Licence expiring" in filtered.content
    one = Delivery.objects.filter(user=viewer, alert__kind=Kind.LICENCE_EXPIRING).get()
    client.post("/alerts/", {"alert": [one.alert_id]})
    assert client.get("/alerts/?unread=1").content.count(b'name="alert"') == 1
    client.post("/alerts/", {"all": "1"})
    assert client.get("/alerts/?unread=1").content.count(b'name="alert"') == 0


def test_anonymous_visitors_go_to_login_and_outsiders_are_refused(client, outsider):
    assert client.get("/alerts/")["Location"].startswith("/accounts/login/")
    assert client.get("/settings/notifications/")["Location"].startswith("/accounts/login/")
    client.force_login(outsider)
    assert client.get("/alerts/").status_code == 403


def test_my_notifications_saves_modes_leads_zone_and_hour(client, viewer):
    client.force_login(viewer)
    page = client.get("/settings/notifications/")
    assert page.status_code == 200 and b".ics" in page.content
    data = {f"mode_{k}": "immediate" for k in Kind.values}
    data |= {"mode_status_changed": "digest", "leads_decision_due_soon": "3, 1", "time_zone": "Asia/Tokyo",
             "digest_hour": "8"}
    assert client.post("/settings/notifications/", data).status_code == 302
    pref = Preference.objects.get(user=viewer)
    assert pref.kinds["status_changed"] == "digest"
    assert pref.lead_times == {"decision_due_soon": [3, 1]}
    assert (pref.time_zone, pref.digest_hour) == ("Asia/Tokyo", 8)


def test_my_notifications_shows_bad_input_beside_the_field(client, viewer):
    client.force_login(viewer)
    data = {f"mode_{k}": "immediate" for k in Kind.values} | {"leads_licence_expiring": "soon",
                                                              "time_zone": "Mars/Base"}
    page = client.post("/settings/notifications/", data)
    assert page.status_code == 200
    assert b"whole numbers" in page.content and b"is not a time zone" in page.content


# --- Calendar feed ------------------------------------------------------------------------------


def test_the_secret_calendar_feed_lists_deadlines_and_the_link_can_be_replaced(client, viewer):
    ApplicationFactory(status=ApplicationStatus.ACCEPTED, accepted_on=dt.date(2025, 8, 1),
                       decision_due=dt.date(2025, 12, 4))
    LicenceFactory(valid_until=dt.date(2026, 5, 31))
    ShipmentFactory(eta=dt.date(2025, 12, 20))
    ShipmentFactory(reference="MSKU-HELD", status="held", eta=None, held_on=dt.date(2025, 11, 27),
                    customs_response_due=dt.date(2025, 12, 8))
    PolicyEventFactory(date=dt.date(2025, 12, 15), title="Tariff truce review")
    token = services.preference_for(viewer).ics_token
    with at(2025, 12, 1):
        response = client.get(f"/notifications/calendar/{token}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert len(summaries) == 5 and any("Tariff truce review" in s for s in summaries)
    assert "Answer customs by: shipment MSKU-HELD (held)" in summaries
    assert {e["DTSTART"].dt for e in events} >= {dt.date(2025, 12, 4), dt.date(2026, 5, 31)}
    client.force_login(viewer)
    client.post("/settings/notifications/", {"regenerate": "1"})
    client.logout()
    assert client.get(f"/notifications/calendar/{token}.ics").status_code == 404


# --- One-click unsubscribe ----------------------------------------------------------------------


def test_one_click_unsubscribe_works_without_login_and_stops_that_kind(client, viewer, compliance):
    url = unsubscribe_url(viewer.pk, Kind.DECISION_OVERDUE).split("127.0.0.1:8000", 1)[-1]
    url = url[url.index("/notifications/"):]
    assert b"Unsubscribe" in client.get(url).content  # GET only asks (link scanners fetch GETs)
    assert services.Recipient(viewer.pk, {}, {}).mode(Kind.DECISION_OVERDUE) == "immediate"
    response = client.post(url, {"List-Unsubscribe": "One-Click"})  # RFC 8058, no CSRF token
    assert response.status_code == 200 and b"no longer receive" in response.content
    assert Preference.objects.get(user=viewer).kinds == {"decision_overdue": "off"}
    ApplicationFactory(status=ApplicationStatus.ACCEPTED, accepted_on=dt.date(2025, 8, 1),
                       decision_due=dt.date(2025, 12, 4))
    with at(2025, 12, 8):
        services.run_scan()
    assert list(Delivery.objects.values_list("user__username", flat=True)) == ["compliance"]


def test_a_forged_unsubscribe_link_is_refused(client):
    assert client.post("/notifications/unsubscribe/not-a-token/").status_code == 400


# --- Webhooks page (admins) -----------------------------------------------------------------------


def test_webhooks_page_is_for_admins_and_shows_the_secret_once(client, compliance, admin_user):
    client.force_login(compliance)
    assert client.get("/settings/webhooks/").status_code == 403
    client.force_login(admin_user)
    created = client.post("/settings/webhooks/", {"name": "SAP", "url": "https://erp.example.com/hook",
                                                  "events": ["alert.created"], "active": "on"})
    hook = WebhookEndpoint.objects.get()
    assert hook.secret.encode() in created.content
    detail = client.get(f"/settings/webhooks/{hook.pk}/")
    assert detail.status_code == 200 and hook.secret.encode() not in detail.content
    client.post(f"/settings/webhooks/{hook.pk}/", {"disable": "1"})
    hook.refresh_from_db()
    assert not hook.active


# --- API ---------------------------------------------------------------------------------------------


def test_alerts_api_lists_with_filters_and_page_number_pagination(client, viewer, admin_user, alerted,
                                                                  django_assert_max_num_queries):
    client.force_login(viewer)
    with django_assert_max_num_queries(7):  # 6 and the throttle's count (in the database without Redis)
        body = client.get("/api/v1/alerts/").json()
    assert body["count"] == 2 and set(body) >= {"count", "next", "previous", "results"}
    assert set(body["results"][0]) >= {"id", "kind", "subject_type", "subject_id", "threshold", "due_on",
                                       "severity", "message", "created_at"}
    only = client.get("/api/v1/alerts/?kind=decision_overdue").json()
    assert [a["kind"] for a in only["results"]] == ["decision_overdue"]
    assert client.get("/api/v1/alerts/?kind=bogus").status_code == 400
    assert client.post("/api/v1/alerts/", {}).status_code == 403  # a viewer writes nothing
    client.force_login(admin_user)
    assert client.post("/api/v1/alerts/", {}).status_code == 405  # and nobody creates alerts


def test_webhooks_api_is_admin_only_and_returns_the_secret_only_on_create(client, viewer, admin_user):
    client.force_login(viewer)
    assert client.get("/api/v1/webhooks/").status_code == 403
    client.force_login(admin_user)
    created = client.post("/api/v1/webhooks/", {"name": "SAP", "url": "https://erp.example.com/h",
                                                "events": ["licence.created"]}, content_type="application/json")
    assert created.status_code == 201 and len(created.json()["secret"]) >= 16
    pk = created.json()["id"]
    assert "secret" not in client.get(f"/api/v1/webhooks/{pk}/").json()
    bad = client.post("/api/v1/webhooks/", {"name": "x", "url": "nope", "events": ["x"]},
                      content_type="application/json")
    assert bad.status_code == 400
    assert {"url", "events[0]"} <= {error["attr"] for error in bad.json()["errors"]}  # the bad list item is named
    assert client.patch(f"/api/v1/webhooks/{pk}/", {"active": False},
                        content_type="application/json").json()["active"] is False
    assert client.delete(f"/api/v1/webhooks/{pk}/").status_code == 204

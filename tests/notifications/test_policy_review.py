"""The policy calendar says when it was last reviewed and reminds compliance monthly
(docs/alerts.md, policy_review_due): after 30 days, not before, once per period, not after a review."""

import datetime as dt

import pytest

from licensing.models import PolicyCalendarReview
from notifications import services
from notifications.models import Alert, Delivery, Kind
from tests.factories import PolicyEventFactory
from tests.notifications.conftest import at

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def calendar(subscribers, procurement, admin_user):
    """A policy calendar loaded on 1 December 2026 (China), with one event ahead."""
    with at(2026, 12, 1):
        return PolicyEventFactory(date=D(2027, 3, 1), title="Suspension of No. 61 ends")


def reminders() -> list[Alert]:
    return list(Alert.objects.filter(kind=Kind.POLICY_REVIEW_DUE).order_by("id"))


def test_it_reminds_compliance_once_30_days_after_loading_and_then_monthly(calendar, compliance, admin_user):
    with at(2026, 12, 30):  # 29 days
        services.run_scan()
    assert reminders() == []
    with at(2026, 12, 31):  # 30 days: due
        services.run_scan()
        services.run_scan()
    with at(2027, 1, 20):
        services.run_scan()
    [alert] = reminders()
    assert alert.severity == "warning" and alert.url == "/policy/"
    assert "has not been reviewed since it was loaded on 1 Dec 2026, 30 days ago" in alert.message
    assert "The next dated event is Suspension of No. 61 ends on 1 Mar 2027." in alert.message
    # Compliance and above only (the viewer and procurement do not review the calendar), in the digest.
    deliveries = Delivery.objects.filter(alert=alert)
    assert {d.user for d in deliveries} == {compliance, admin_user}
    assert {d.mode for d in deliveries} == {"digest"}
    with at(2027, 1, 30):  # still not reviewed a month later: the next monthly reminder
        services.run_scan()
    assert len(reminders()) == 2


def test_marking_it_reviewed_starts_a_new_period(calendar, compliance, client):
    with at(2026, 12, 20):  # logged in on the day: sessions expire
        client.force_login(compliance)
        response = client.post("/policy/review/", {"note": "Checked No. 61/62 against MOFCOM."}, follow=True)
    assert b"marked reviewed on 20 Dec 2026; the next review is due on 19 Jan 2027" in response.content
    review = PolicyCalendarReview.objects.get()
    assert (review.reviewed_on, review.reviewed_by, review.note) == (D(2026, 12, 20), compliance,
                                                                     "Checked No. 61/62 against MOFCOM.")
    with at(2027, 1, 5):  # 35 days after loading, 16 after the review
        services.run_scan()
    with at(2027, 1, 18):
        services.run_scan()
    assert reminders() == []
    with at(2027, 1, 19):  # 30 days after the review
        services.run_scan()
    [alert] = reminders()
    assert f"was last reviewed on 20 Dec 2026 by {compliance.get_full_name() or compliance.username}" in alert.message


def test_no_calendar_no_reminder(subscribers):
    with at(2027, 6, 1):
        services.run_scan()
    assert reminders() == []


def test_only_compliance_may_mark_it_reviewed(calendar, procurement, client):
    with at(2026, 12, 20):
        client.force_login(procurement)
        assert client.post("/policy/review/").status_code == 403
    assert not PolicyCalendarReview.objects.exists()


def test_the_policy_page_and_the_dashboard_say_when_it_was_reviewed_and_when_it_is_due(calendar, compliance,
                                                                                       viewer, client):
    with at(2027, 1, 10):
        client.force_login(compliance)
        page = client.get("/policy/").content.decode()
        assert "Never reviewed (loaded 1 Dec 2026); review due 31 Dec 2026" in page and "Review overdue" in page
        assert 'data-confirm="Mark the policy calendar reviewed today?' in page
        client.post("/policy/review/")
    with at(2027, 1, 12):
        client.force_login(viewer)
        page = client.get("/policy/?view=list").content.decode()
        assert "Last reviewed 10 Jan 2027 by" in page and "review due 9 Feb 2027" in page
        assert "Mark reviewed" not in page  # the viewer may not
        dashboard = client.get("/").content.decode()
        assert "Last reviewed 10 Jan 2027 by" in dashboard and "review due 9 Feb 2027" in dashboard
        assert "Suspension of No. 61 ends" in dashboard and "No policy date ahead" not in dashboard
    with at(2027, 3, 2):  # the only event has passed: the panel says so and points to the review
        client.force_login(viewer)
        dashboard = client.get("/").content.decode()
        assert "No policy date ahead" in dashboard and 'should <a href="/policy/">review it</a>' in dashboard
        assert "review due 9 Feb 2027 <span class=\"badge overdue\">Review overdue</span>" in dashboard

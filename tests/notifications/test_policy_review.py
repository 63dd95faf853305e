"""The policy calendar says when it was last reviewed and reminds compliance monthly
(docs/alerts.md, policy_review_due): checked once a day by the daily task, never by the scan;
after 30 days, not before, once per period and per compliance user, not after a review."""

import datetime as dt
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from licensing.models import PolicyCalendarReview
from licensing.selectors import policy_review, with_policy_review
from notifications import services, tasks
from notifications.models import Alert, Delivery, Kind
from tests.factories import PolicyEventFactory
from tests.notifications.conftest import at

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def calendar(viewer, procurement, compliance, admin_user):
    """A policy calendar loaded on 1 December 2026 (China), with one event ahead; people of every role."""
    with at(2026, 12, 1):
        return PolicyEventFactory(date=D(2027, 3, 1), title="Suspension of No. 61 ends")


def reminders() -> list[Alert]:
    return list(Alert.objects.filter(kind=Kind.POLICY_REVIEW_DUE).order_by("id"))


def every_day(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        with at(day.year, day.month, day.day):
            yield day
        day += dt.timedelta(days=1)


def test_the_daily_task_reminds_each_compliance_user_once_a_month_while_not_reviewed(
    calendar, viewer, procurement, compliance, admin_user
):
    for day in every_day(D(2026, 12, 1), D(2027, 3, 5)):
        tasks.daily.delay()
        tasks.daily.delay()  # a second run the same day (a restarted beat) adds nothing
        if day == D(2026, 12, 30):  # 29 days after loading: not yet
            assert reminders() == []
    first, second, third = reminders()
    assert [a.alerted_on for a in (first, second, third)] == [D(2026, 12, 31), D(2027, 1, 30), D(2027, 3, 1)]
    assert first.severity == "warning" and first.url == "/policy/"
    assert "has not been reviewed since it was loaded on 1 Dec 2026, 30 days ago" in first.message
    assert "The next dated event is Suspension of No. 61 ends on 1 Mar 2027." in first.message
    # One delivery per reminder to each user holding compliance or a higher role, in the digest;
    # the viewer and procurement do not review the calendar and get none.
    per_user = Counter(d.user_id for d in Delivery.objects.filter(alert__kind=Kind.POLICY_REVIEW_DUE))
    assert per_user == {compliance.pk: 3, admin_user.pk: 3}
    assert set(Delivery.objects.filter(alert__kind=Kind.POLICY_REVIEW_DUE).values_list("mode", flat=True)) == {"digest"}
    assert not Delivery.objects.filter(user__in=[viewer, procurement]).exists()


def test_the_scan_never_checks_the_review(calendar):
    """The reminder is the daily task's: a scan, however often, adds no query and no reminder."""
    for day in every_day(D(2027, 1, 1), D(2027, 1, 3)):
        services.run_scan()
        with CaptureQueriesContext(connection) as ctx:
            services.run_scan()
        assert not any("licensing_policycalendarreview" in q["sql"] for q in ctx.captured_queries), day
    assert reminders() == []


def test_after_a_review_no_reminder_until_a_month_later(calendar, compliance, client):
    with at(2026, 12, 20):  # logged in on the day: sessions expire
        client.force_login(compliance)
        response = client.post("/policy/review/", {"note": "Checked No. 61/62 against MOFCOM."}, follow=True)
    assert b"marked reviewed on 20 Dec 2026; the next review is due on 19 Jan 2027" in response.content
    review = PolicyCalendarReview.objects.get()
    assert (review.reviewed_on, review.reviewed_by, review.note) == (
        D(2026, 12, 20),
        compliance,
        "Checked No. 61/62 against MOFCOM.",
    )
    for _ in every_day(D(2026, 12, 20), D(2027, 1, 18)):  # 31 days after loading: reviewed in between
        services.run_daily()
    assert reminders() == []
    with at(2027, 1, 19):  # 30 days after the review
        services.run_daily()
    [alert] = reminders()
    assert f"was last reviewed on 20 Dec 2026 by {compliance.get_full_name() or compliance.username}" in alert.message


def test_a_review_after_a_reminder_stops_the_monthly_repeat(calendar, compliance, client):
    with at(2027, 1, 2):
        services.run_daily()
        assert len(reminders()) == 1
        client.force_login(compliance)
        client.post("/policy/review/")
    for _ in every_day(D(2027, 1, 3), D(2027, 1, 31)):
        services.run_daily()
    assert len(reminders()) == 1


def test_no_calendar_no_reminder(compliance):
    with at(2027, 6, 1):
        services.run_daily()
    assert reminders() == []


def test_only_compliance_may_mark_it_reviewed(calendar, procurement, viewer, client):
    with at(2026, 12, 20):
        for user in (procurement, viewer):
            client.force_login(user)
            assert client.post("/policy/review/").status_code == 403
    assert not PolicyCalendarReview.objects.exists()


def test_marking_it_reviewed_is_a_confirmed_post(calendar, compliance, client):
    with at(2026, 12, 20):
        client.force_login(compliance)
        page = client.get("/policy/").content.decode()
        # The button asks first (base.html's confirmation dialog), naming what it records.
        assert 'data-confirm="Mark the policy calendar reviewed today? This records, under your name,' in page
        assert 'data-confirm-ok="Mark reviewed"' in page and 'action="/policy/review/"' in page
        assert client.get("/policy/review/").status_code == 302  # a GET records nothing
    assert not PolicyCalendarReview.objects.exists()


def test_a_too_long_note_is_refused_naming_nothing_saved(calendar, compliance, client):
    with at(2026, 12, 20):
        client.force_login(compliance)
        response = client.post("/policy/review/", {"note": "x" * 301}, follow=True)
    assert b"Not recorded:" in response.content
    assert not PolicyCalendarReview.objects.exists()


def test_the_policy_pages_and_the_dashboard_say_who_reviewed_it_and_when(calendar, compliance, viewer, client):
    with at(2027, 1, 10):
        client.force_login(compliance)
        page = client.get("/policy/").content.decode()
        assert "Never reviewed (loaded 1 Dec 2026); review due 31 Dec 2026" in page and "Review overdue" in page
        client.post("/policy/review/")
    compliance.first_name, compliance.last_name = "Li", "Wei"
    compliance.save()
    with at(2027, 1, 12):
        client.force_login(viewer)
        for url in ("/policy/", "/policy/?view=list", "/"):
            page = client.get(url).content.decode()
            assert "Last reviewed 10 Jan 2027 by Li Wei; review due 9 Feb 2027." in page, url
            assert "Review overdue" not in page, url
        assert "Mark reviewed" not in client.get("/policy/").content.decode()  # the viewer may not
    with at(2027, 3, 2):  # the only event has passed: the state is read on its own
        client.force_login(viewer)
        for url in ("/policy/", "/"):
            page = client.get(url).content.decode()
            assert 'review due 9 Feb 2027 <span class="badge overdue">Review overdue</span>' in page, url


def test_the_review_state_rides_on_the_events_query(calendar, compliance, django_assert_num_queries):
    """Read with a page's events it costs no query of its own; alone, one."""
    PolicyCalendarReview.objects.create(reviewed_on=D(2027, 1, 10), reviewed_by=compliance)
    with at(2027, 1, 12):
        with django_assert_num_queries(1):
            rows = list(with_policy_review(calendar._meta.model.objects.filter(date__gte=D(2027, 1, 12))))
            review = policy_review(rows=rows)
        with django_assert_num_queries(1):
            assert policy_review() == review
    assert (review.reviewed_on, review.reviewed_by, review.due_on) == (D(2027, 1, 10), "compliance", D(2027, 2, 9))

"""The inbox puts critical alerts first and filters by severity (docs/alerts.md)."""

import datetime as dt
import re
import uuid

import pytest

from notifications.models import Alert, Delivery, Kind, Severity, SubjectType

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(viewer):
    """Three alerts delivered to the viewer, made in the order info, critical, warning."""
    made = {}
    for n, severity in enumerate([Severity.INFO, Severity.CRITICAL, Severity.WARNING]):
        alert = Alert.objects.create(
            kind=Kind.LICENCE_EXPIRING, subject_type=SubjectType.LICENCE, subject_id=100 + n, threshold=f"{n}d",
            alerted_on=dt.date(2026, 12, 1), severity=severity, message=f"Alert {severity}", batch=uuid.uuid4(),
        )
        Delivery.objects.create(alert=alert, user=viewer)
        made[severity] = alert.pk
    return made


def shown(client, query: str = "") -> list[int]:
    page = client.get("/alerts/" + query)
    assert page.status_code == 200
    return [int(pk) for pk in re.findall(r'name="alert" value="(\d+)"', page.content.decode())]


def test_critical_comes_first_then_warning_then_info(client, viewer, inbox):
    client.force_login(viewer)
    assert shown(client) == [inbox[Severity.CRITICAL], inbox[Severity.WARNING], inbox[Severity.INFO]]
    # Newest first, whatever the severity, when asked.
    assert shown(client, "?order=newest") == [inbox[Severity.WARNING], inbox[Severity.CRITICAL], inbox[Severity.INFO]]


def test_it_filters_by_severity_and_ignores_an_unknown_one(client, viewer, inbox):
    client.force_login(viewer)
    assert shown(client, "?severity=critical") == [inbox[Severity.CRITICAL]]
    assert shown(client, "?severity=info") == [inbox[Severity.INFO]]
    assert len(shown(client, "?severity=bogus")) == 3

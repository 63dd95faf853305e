"""A supplier's report alerts the application's owner at a severity by what it reports, in the
step's words (never the stored code)."""

import pytest

from notifications.models import Alert

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("to", "severity", "label"), [
    ("accepted", "info", "Accepted"),
    ("rejected", "critical", "Rejected"),
])
def test_a_reports_alert_has_its_severity_and_the_steps_label(portal_scene, client, to, severity, label):
    ours, _ = portal_scene
    response = client.post(ours.app_url(), {"to": to, "on": TODAY.isoformat(), "note": "MOFCOM's letter"})
    assert response.status_code in (200, 302)
    alert = Alert.objects.get(kind="supplier_report")
    assert alert.severity == severity
    assert f"reported \u201c{label}\u201d on 2 Mar 2026" in alert.message
    assert f"'{to}'" not in alert.message


def test_a_supplement_request_is_a_warning(portal_scene, client):
    ours, _ = portal_scene
    ours.supplier.portal_apply_reports = True
    ours.supplier.save()
    client.post(ours.app_url(), {"to": "accepted", "on": TODAY.isoformat()})
    client.post(ours.app_url(), {"to": "supplement_requested", "on": TODAY.isoformat(), "note": "End-user certificate"})
    alert = Alert.objects.filter(kind="supplier_report").latest("id")
    assert alert.severity == "warning" and "\u201cSupplement requested\u201d" in alert.message

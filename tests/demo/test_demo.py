"""load_demo_data: believable, built through the services, idempotent, users only when embedded."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command

from core.roles import Role, user_role
from licensing import selectors as licensing_selectors
from licensing.models import ApplicationEvent, ApplicationStatus, Licence, LicenceApplication, LicenceLine
from notifications.models import Preference
from shipments import selectors
from shipments.models import Shipment, ShipmentStatus
from suppliers.models import Supplier, validate_uscc
from tests.licensing.helpers import at


def _load() -> str:
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue()


def _snapshot() -> dict:
    return {
        model.__name__: sorted(model.objects.values_list("pk", "updated_at"))
        for model in (Supplier, LicenceApplication, Licence, Shipment)
    } | {"events": ApplicationEvent.objects.count(), "history": LicenceApplication.history.count(),
         "users": sorted(get_user_model().objects.values_list("username", "password"))}


@pytest.mark.django_db
def test_the_demo_is_believable_and_a_second_run_changes_nothing(settings):
    settings.EMBEDDED = True
    today = dt.date(2026, 9, 15)
    with at(today):
        output = _load()
        assert "Demo data loaded: 5 suppliers, 40 applications" in output

        assert {s.uscc for s in Supplier.objects.all()} and all(validate_uscc(s.uscc) is None
                                                                for s in Supplier.objects.all())
        assert all(s.local_name for s in Supplier.objects.all())
        applications = LicenceApplication.objects.all()
        assert applications.count() == 40
        assert set(applications.values_list("status", flat=True)) == set(ApplicationStatus.values)
        assert min(applications.values_list("reference", flat=True)).startswith("LA-2025-")  # started Apr 2025
        assert max(ApplicationEvent.objects.values_list("on", flat=True)) <= today
        assert licensing_selectors.overdue_applications().count() >= 3
        assert ApplicationEvent.objects.filter(to_status="supplement_requested").count() >= 3
        delays = [d for d in applications.values_list("decision_working_days", flat=True) if d is not None]
        assert min(delays) >= 40 and max(delays) >= 60
        for application in licensing_selectors.applications_for_display():  # the stored clock is the clock
            assert application.decision_due == licensing_selectors.application_clock(application).decision_due

        assert set(Shipment.objects.values_list("status", flat=True)) == set(ShipmentStatus.values)
        assert Shipment.objects.filter(status="held", customs_response_due__isnull=False).count() == 2
        assert selectors.shipments_after_expiry().count() >= 1
        assert selectors.shipments_late(today).exists()
        assert set(Licence.objects.values_list("status", flat=True)) >= {"active", "exhausted", "expired"}
        assert not selectors.licence_lines_with_drawdown(LicenceLine.objects.all()).filter(balance__lt=0).exists()

        demo = get_user_model().objects.get(username="demo")
        assert (demo.email, user_role(demo), demo.check_password("demo")) == ("demo@example.com", Role.PROCUREMENT,
                                                                              True)
        assert get_user_model().objects.get(username="admin").is_superuser
        # The default policy, as a new team member gets it: no per-kind override of the demo user.
        assert not Preference.objects.filter(user=demo).exclude(kinds={}).exists()
        # Predictions are there from the first page on, not only after the worker's first run.
        assert LicenceApplication.objects.filter(status="accepted", predicted_decision_p50__isnull=False).exists()

        before = _snapshot()
        assert "already loaded: nothing changed" in _load()
        assert _snapshot() == before


@pytest.mark.django_db
def test_it_also_builds_early_in_the_story(settings):
    settings.EMBEDDED = True
    with at(dt.date(2025, 10, 20)):
        _load()
        assert LicenceApplication.objects.count() == 40
        assert max(ApplicationEvent.objects.values_list("on", flat=True)) <= dt.date(2025, 10, 20)
        assert not selectors.licence_lines_with_drawdown(LicenceLine.objects.all()).filter(balance__lt=0).exists()


@pytest.mark.django_db
def test_no_demo_users_outside_the_embedded_default(settings):
    settings.EMBEDDED = False
    Supplier.objects.create(name="Loaded before", external_ref="DEMO-SUP-1")  # skip the build: users only
    output = _load()
    assert "Demo users are not created outside the embedded default" in output
    assert not get_user_model().objects.filter(username__in=["demo", "admin"]).exists()


@pytest.mark.django_db
def test_the_demo_user_gets_the_critical_alerts_at_once_and_one_digest_and_no_history(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    """The first hour after `make run`: the outbox and the scan as the worker runs them, then the
    digest run; back-loaded demo history (a year of status changes) sends nothing."""
    from config.celery import app as celery_app
    from notifications import tasks
    from notifications.models import Alert, Delivery

    settings.EMBEDDED = True
    settings.ALERT_DIGEST_HOUR = 7
    settings.ALERT_DEFAULT_TIME_ZONE = "Europe/Berlin"
    celery_app.conf.task_always_eager = True
    try:
        with at(dt.date(2026, 9, 15)):  # 04:00 UTC: 06:00 in Berlin, before the digest hour
            _load()
            with django_capture_on_commit_callbacks(execute=True):
                tasks.process_outbox()
            for _ in range(4):  # an hour of scans, every 15 minutes; sending runs on commit
                with django_capture_on_commit_callbacks(execute=True):
                    tasks.scan()
                tasks.send_digests()
            before_digest = [m for m in mailoutbox if m.to == ["demo@example.com"]]
        with time_machine.travel(dt.datetime(2026, 9, 15, 5, 5, tzinfo=dt.UTC), tick=False):  # 07:05 Berlin
            tasks.send_digests()
            tasks.send_digests()
    finally:
        celery_app.conf.task_always_eager = False
    mine = [m for m in mailoutbox if m.to == ["demo@example.com"]]
    digests = [m for m in mine if m.subject.startswith("Daily digest")]
    immediate = [m for m in mine if m not in digests]
    critical = Delivery.objects.filter(user__username="demo", alert__severity="critical")
    assert len(digests) == 1 and digests[0] not in before_digest
    assert len(immediate) == critical.count() and all(m.extra_headers["X-Alert-Kind"] in
                                                      {"decision_overdue", "shipment_after_expiry",
                                                       "customs_response_due", "decision_due_soon",
                                                       "licence_expiring"} for m in immediate)
    assert not Alert.objects.filter(kind__in=["status_changed", "supplement_requested"]).exists()
    assert len(mine) <= 12, [m.subject for m in mine]  # a handful, not ~195

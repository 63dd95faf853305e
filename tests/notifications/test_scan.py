"""Each alert kind at and around each threshold (docs/architecture.md#alerts), with time-machine."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from licensing import services as licensing_services
from licensing.models import ApplicationStatus, Document, LicenceStatus
from notifications import services
from notifications.models import Alert, Delivery, Kind, WebhookDelivery, WebhookEndpoint
from shipments.models import ShipmentStatus
from shipments.services import customs_response_due
from tests.factories import (
    ApplicationFactory,
    ApplicationLineFactory,
    ControlledItemFactory,
    LicenceFactory,
    LicenceLineFactory,
    PolicyEventFactory,
    PurchaseOrderFactory,
    ShipmentFactory,
    ShipmentLineFactory,
    SupplierFactory,
)

from .conftest import at, live_application

pytestmark = pytest.mark.django_db
D = dt.date


def leads(kind):
    return sorted((a.subject_id, a.lead) for a in Alert.objects.filter(kind=kind))


def accepted(due: dt.date, **kw):
    return ApplicationFactory(status=ApplicationStatus.ACCEPTED, accepted_on=D(2025, 8, 1), decision_due=due, **kw)


# --- decision_due_soon: working days across the National Day holidays ----------------------


def test_decision_due_soon_counts_chinese_working_days_across_national_day(subscribers):
    # Due Friday 10 October 2025. Working days after Thursday 25 September: 26, 28 (a make-up
    # Sunday), 29, 30 September, then 1-8 October are off, 9 and 10 October: 6 left.
    app = accepted(D(2025, 10, 10))
    with at(2025, 9, 24):  # 7 working days left: the 10-day threshold is crossed
        assert services.run_scan().alerts == 1
    assert leads(Kind.DECISION_DUE_SOON) == [(app.pk, 10)]
    with at(2025, 9, 25):  # 6 left: still within 10, not yet 5
        assert services.run_scan().alerts == 0
    with at(2025, 9, 26):  # 5 left (calendar days: 14)
        assert services.run_scan().alerts == 1
    with at(2025, 10, 3):  # holiday week: 2 working days left, nothing new
        assert services.run_scan().alerts == 0
    with at(2025, 10, 9):  # 1 left
        assert services.run_scan().alerts == 1
    assert leads(Kind.DECISION_DUE_SOON) == [(app.pk, 1), (app.pk, 5), (app.pk, 10)]
    with at(2025, 10, 10):  # due today: the 1 threshold holds, nothing new
        assert services.run_scan().alerts == 0


def test_decision_due_soon_after_downtime_alerts_the_tightest_threshold_once(subscribers):
    app = accepted(D(2025, 12, 4))
    with at(2025, 12, 1):  # 3 working days left: 10 and 5 were both missed while down
        assert services.run_scan().alerts == 1
        assert services.run_scan().alerts == 0
    assert leads(Kind.DECISION_DUE_SOON) == [(app.pk, 5)]


def test_decision_due_soon_ignores_far_decided_and_paused_applications(subscribers):
    accepted(D(2026, 3, 1))  # far away
    ApplicationFactory(status=ApplicationStatus.APPROVED, accepted_on=D(2025, 8, 1), decision_due=D(2025, 12, 4))
    ApplicationFactory(status=ApplicationStatus.SUPPLEMENT_REQUESTED, decision_due=D(2025, 12, 4))
    with at(2025, 12, 1):
        assert services.run_scan(maintenance=False).alerts == 0


def test_a_moved_due_date_is_alerted_afresh(subscribers):
    app = accepted(D(2025, 12, 4))
    with at(2025, 12, 1):
        services.run_scan()
    app.decision_due = D(2025, 12, 12)
    app.save()
    with at(2025, 12, 2):  # 8 working days to the new date
        assert services.run_scan().alerts == 1
    assert Alert.objects.get(kind=Kind.DECISION_DUE_SOON, due_on=D(2025, 12, 12)).lead == 10


# --- decision_overdue: once, then weekly, missed weeks not replayed --------------------------


def test_decision_overdue_reminds_at_most_weekly_and_does_not_replay_missed_weeks(subscribers):
    app = accepted(D(2025, 12, 4))

    def overdue_after_scan() -> int:
        services.run_scan()
        return Alert.objects.filter(kind=Kind.DECISION_OVERDUE, subject_id=app.pk).count()

    with at(2025, 12, 4):  # due today: not overdue yet
        assert overdue_after_scan() == 0
    with at(2025, 12, 5):
        assert overdue_after_scan() == 1
    with at(2025, 12, 11):  # six days later: no reminder
        assert overdue_after_scan() == 1
    with at(2025, 12, 12):  # a week: one reminder
        assert overdue_after_scan() == 2
    with at(2026, 1, 9):  # down for four weeks: one reminder, not four
        assert overdue_after_scan() == 3
        assert overdue_after_scan() == 3


# --- acceptance_pending ------------------------------------------------------------------------


def test_acceptance_pending_after_five_working_days_across_new_year(subscribers):
    # Submitted Wednesday 31 December 2025; 1-3 January are off, Sunday 4 January is worked:
    # 4, 5, 6, 7, 8 January -> the 5th working day is Thursday 8 January.
    app = ApplicationFactory(status=ApplicationStatus.SUBMITTED, submitted_on=D(2025, 12, 31))
    with at(2026, 1, 7):
        assert services.run_scan().alerts == 0
    with at(2026, 1, 8):
        assert services.run_scan().alerts == 1
    with at(2026, 1, 9):
        assert services.run_scan().alerts == 0
    assert leads(Kind.ACCEPTANCE_PENDING) == [(app.pk, 5)]


# --- customs_response_due: 5, 2, 0 working days ----------------------------------------------


def test_customs_response_due_thresholds_around_spring_festival(subscribers):
    # Held Thursday 12 February 2026. The 7 working days: 13, 14 (a make-up Saturday), then
    # Spring Festival (16-23 off), 24, 25, 26, 27, 28 (a make-up Saturday): due 28 February.
    shipment = ShipmentFactory(status=ShipmentStatus.HELD, held_on=D(2026, 2, 12), planned_ship_date=None, eta=None)
    shipment.customs_response_due = customs_response_due(shipment.held_on)
    shipment.save()
    assert shipment.customs_response_due == D(2026, 2, 28)
    with at(2026, 2, 13):  # 6 working days left: nothing
        assert services.run_scan().alerts == 0
    with at(2026, 2, 14):  # 5 left, though 14 calendar days remain
        assert services.run_scan().alerts == 1
    with at(2026, 2, 20):  # holiday: still 5 left, nothing new
        assert services.run_scan().alerts == 0
    with at(2026, 2, 25):  # 3 left
        assert services.run_scan().alerts == 0
    with at(2026, 2, 26):  # 2 left
        assert services.run_scan().alerts == 1
    with at(2026, 2, 28):  # due today
        assert services.run_scan().alerts == 1
    assert leads(Kind.CUSTOMS_RESPONSE_DUE) == [(shipment.pk, 0), (shipment.pk, 2), (shipment.pk, 5)]


# --- licence_expiring, licence_low_balance ----------------------------------------------------


def test_licence_expiring_at_30_14_7_days_and_never_for_exhausted_ones(subscribers):
    lic = LicenceFactory(valid_until=D(2026, 5, 31))
    LicenceFactory(valid_until=D(2026, 5, 31), status=LicenceStatus.EXHAUSTED)
    with at(2026, 4, 30):  # 31 days
        assert services.run_scan().alerts == 0
    with at(2026, 5, 1):  # 30 days
        assert services.run_scan().alerts == 1
    with at(2026, 5, 17):  # 14
        assert services.run_scan().alerts == 1
    with at(2026, 5, 25):  # 6: the 7 threshold was crossed yesterday; alerted once
        assert services.run_scan().alerts == 1
        assert services.run_scan().alerts == 0
    assert leads(Kind.LICENCE_EXPIRING) == [(lic.pk, 7), (lic.pk, 14), (lic.pk, 30)]


def test_licence_low_balance_under_ten_percent(subscribers):
    item = ControlledItemFactory(code="DY-OX")
    supplier = SupplierFactory()
    line = LicenceLineFactory(licence=LicenceFactory(supplier=supplier), item=item, approved_quantity=Decimal("1000"))
    shipment = ShipmentFactory(supplier=supplier, licence=line.licence, status=ShipmentStatus.IN_TRANSIT)
    ShipmentLineFactory(shipment=shipment, item=item, quantity=Decimal("900"))
    with at(2025, 11, 1):
        assert services.run_scan().alerts == 0  # exactly 10 % left is not under 10 %
    ShipmentLineFactory(shipment=ShipmentFactory(supplier=supplier, licence=line.licence), item=item,
                        quantity=Decimal("0.5"))
    with at(2025, 11, 1):
        assert services.run_scan().alerts == 1
        assert services.run_scan().alerts == 0
    alert = Alert.objects.get(kind=Kind.LICENCE_LOW_BALANCE)
    assert alert.subject_id == line.pk and alert.url == f"/licences/{line.licence_id}/"


def test_licence_low_balance_converts_kilograms_drawn_from_a_licence_in_tonnes(subscribers):
    item = ControlledItemFactory(code="TB-OX")
    supplier = SupplierFactory()
    line = LicenceLineFactory(licence=LicenceFactory(supplier=supplier), item=item, approved_quantity=Decimal("2"),
                              unit="t")
    shipment = ShipmentFactory(supplier=supplier, licence=line.licence, status=ShipmentStatus.IN_TRANSIT)
    ShipmentLineFactory(shipment=shipment, item=item, quantity=Decimal("1700"), unit="kg")
    with at(2025, 11, 1):
        assert services.run_scan().alerts == 0  # 0.3 t of 2 t left: 15 %
    ShipmentLineFactory(shipment=ShipmentFactory(supplier=supplier, licence=line.licence), item=item,
                        quantity=Decimal("150"), unit="kg")
    with at(2025, 11, 1):
        assert services.run_scan().alerts == 1  # 0.15 t left: 7.5 %
    assert "0.150 t left of 2.000 t" in Alert.objects.get(kind=Kind.LICENCE_LOW_BALANCE).message


# --- shipments and purchase orders ------------------------------------------------------------


def test_shipment_after_expiry_and_late(subscribers):
    lic = LicenceFactory(valid_until=D(2025, 12, 31))
    after = ShipmentFactory(supplier=lic.supplier, licence=lic, planned_ship_date=D(2026, 1, 5), eta=D(2026, 2, 1))
    ShipmentFactory(supplier=lic.supplier, licence=lic, planned_ship_date=D(2025, 12, 31), eta=D(2026, 2, 1))
    late = ShipmentFactory(status=ShipmentStatus.IN_TRANSIT, eta=D(2025, 11, 30))
    ShipmentFactory(status=ShipmentStatus.DELIVERED, eta=D(2025, 11, 30))
    with at(2025, 11, 30):  # ETA today: not late yet
        services.run_scan()
    assert leads(Kind.SHIPMENT_AFTER_EXPIRY) == [(after.pk, None)]
    assert leads(Kind.SHIPMENT_LATE) == []
    with at(2025, 12, 1):
        services.run_scan()
    assert leads(Kind.SHIPMENT_LATE) == [(late.pk, None)]


def test_po_at_risk_reads_the_stored_column_once(subscribers):
    po = PurchaseOrderFactory()
    PurchaseOrderFactory()
    po.at_risk = True
    po.save()
    with at(2025, 11, 1):
        assert services.run_scan().alerts == 1
        assert services.run_scan().alerts == 0
    assert Alert.objects.get(kind=Kind.PO_AT_RISK).url == f"/purchase-orders/{po.pk}/"


# --- policy_event_upcoming lists what it affects ----------------------------------------------


def test_policy_event_upcoming_lists_affected_objects_by_item(subscribers):
    dy, tb = ControlledItemFactory(code="DY", elements="Dy"), ControlledItemFactory(code="TB", elements="Tb")
    app_dy = ApplicationLineFactory(item=dy, application=ApplicationFactory(status=ApplicationStatus.SUBMITTED))
    ApplicationLineFactory(item=tb, application=ApplicationFactory(status=ApplicationStatus.SUBMITTED))
    ApplicationLineFactory(item=dy, application=ApplicationFactory(status=ApplicationStatus.APPROVED))
    lic = LicenceLineFactory(item=dy, licence=LicenceFactory(valid_until=D(2027, 5, 31))).licence
    ship = ShipmentLineFactory(item=tb, shipment=ShipmentFactory(status=ShipmentStatus.BOOKED)).shipment
    named = PolicyEventFactory(date=D(2026, 11, 10), lead_days=[30, 7, 1])
    named.items.set([dy])
    everything = PolicyEventFactory(date=D(2026, 11, 10), lead_days=[7])
    with at(2026, 10, 11):  # 30 days before: only the event with a 30-day lead
        services.run_scan()
    assert leads(Kind.POLICY_EVENT_UPCOMING) == [(named.pk, 30)]
    alert = Alert.objects.get(kind=Kind.POLICY_EVENT_UPCOMING)
    assert alert.subject_id == named.pk
    assert [a["id"] for a in alert.context["applications"]] == [app_dy.application_id]
    assert [x["id"] for x in alert.context["licences"]] == [lic.pk]
    assert alert.context["shipments"] == []
    with at(2026, 11, 3):  # 7 days: both; the one naming no item lists everything open
        services.run_scan()
    assert leads(Kind.POLICY_EVENT_UPCOMING) == sorted([(named.pk, 7), (named.pk, 30), (everything.pk, 7)])
    wide = Alert.objects.get(kind=Kind.POLICY_EVENT_UPCOMING, subject_id=everything.pk)
    assert len(wide.context["applications"]) == 2
    assert [x["id"] for x in wide.context["shipments"]] == [ship.pk]


# --- document_expiring --------------------------------------------------------------------------


def test_document_expiring(subscribers, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    app = ApplicationFactory()
    doc = Document.objects.create(
        application=app, kind=Document.Kind.END_USER_CERTIFICATE, file="x.pdf", original_name="euc.pdf",
        content_type="application/pdf", size=10, valid_until=D(2026, 1, 31), uploaded_at=dt.datetime.now(dt.UTC),
    )
    with at(2026, 1, 1):
        assert services.run_scan().alerts == 1
    alert = Alert.objects.get(kind=Kind.DOCUMENT_EXPIRING)
    assert (alert.subject_id, alert.lead, alert.url) == (doc.pk, 30, f"/applications/{app.pk}/")


# --- the outbox: timeline rows, claimed once ----------------------------------------------------

STEPS = [("submitted", "2025-09-01"), ("accepted", "2025-09-10"), ("supplement_requested", "2025-09-20")]


def test_status_changes_become_alerts_once_and_the_events_are_marked_processed(subscribers, procurement):
    with at(2025, 9, 26):
        app = live_application(STEPS, actor=procurement)
        first = services.run_scan()
        again = services.run_scan()
    kinds = sorted(Alert.objects.filter(subject_id=app.pk).values_list("kind", flat=True))
    assert kinds == ["status_changed"] * 3 + ["supplement_requested"]
    assert first.events == 3 and again.events == 0 and again.alerts == 0
    assert not app.events.filter(processed_at__isnull=True).exists()


def test_a_back_loaded_history_is_processed_and_sent_to_webhooks_but_alerts_nobody(subscribers, procurement):
    WebhookEndpoint.objects.create(name="ERP", url="https://erp.example.com/hook")
    with at(2025, 9, 26):
        app = licensing_services.application_create(
            supplier=SupplierFactory(), end_user="X", destination_country="DE", actor=procurement,
            events=[{"to": step, "on": on} for step, on in STEPS],  # all dated before today
        )
        result = services.run_scan()
    assert result.events == 3 and not Alert.objects.filter(subject_id=app.pk).exists()
    assert not app.events.filter(processed_at__isnull=True).exists()
    assert WebhookDelivery.objects.filter(event_type="application.status_changed").count() == 3


def test_a_status_change_reads_in_labels_and_an_approval_names_its_licence(subscribers, procurement):
    app = live_application(STEPS[:2], actor=procurement)
    with at(2025, 11, 3):
        licensing_services.application_transition(
            application=app, to="approved", on=dt.date(2025, 11, 3), actor=procurement,
            licence={"number": "LIC-2025-1103", "valid_from": "2025-11-03", "valid_until": "2026-11-02",
                     "lines": [{"item": ControlledItemFactory(), "approved_quantity": "10", "unit": "kg"}]},
        )
        services.run_scan()
    messages = list(Alert.objects.filter(kind=Kind.STATUS_CHANGED).order_by("id").values_list("message", flat=True))
    assert f"{app.reference} (" in messages[0] and ": Draft → Submitted on 1 Sep 2025." in messages[0]
    assert "Accepted → Approved on 3 Nov 2025. Licence LIC-2025-1103 granted." in messages[-1]
    assert not any("_" in m.split(":", 1)[1] for m in messages)  # no raw codes like supplement_requested


def test_the_scan_refreshes_open_supplement_clocks(subscribers):
    with at(2025, 10, 20):
        app = licensing_services.application_create(
            supplier=SupplierFactory(), end_user="X", destination_country="DE",
            events=[{"to": "submitted", "on": "2025-09-01"}, {"to": "accepted", "on": "2025-09-10"},
                    {"to": "supplement_requested", "on": "2025-10-20"}],
        )
    app.refresh_from_db()
    before = app.decision_due
    with at(2025, 10, 24):  # four more working days in the open supplement period
        services.run_scan()
    app.refresh_from_db()
    assert app.decision_due > before


def test_scan_expires_licences(subscribers):
    lic = LicenceFactory(valid_until=D(2025, 10, 31))
    with at(2025, 11, 1):
        services.run_scan()
    lic.refresh_from_db()
    assert lic.status == LicenceStatus.EXPIRED


# --- set-based: the number of queries does not grow with the rows -----------------------------


def _scan_queries() -> int:
    """Queries of one scan, not counting INSERTs: SQLite splits a bulk insert into batches
    of at most 999 parameters, so their number depends on the rows inserted."""
    with CaptureQueriesContext(connection) as ctx:
        services.run_scan(maintenance=False)
    return sum(1 for q in ctx.captured_queries if not q["sql"].lstrip().upper().startswith("INSERT"))


def test_scan_queries_do_not_grow_with_due_rows(subscribers):
    with at(2025, 12, 1):
        _scan_queries()  # the first scan checks every row; the next ones the rows written since
        for _ in range(3):
            accepted(D(2025, 12, 4))
            LicenceFactory(valid_until=D(2025, 12, 10))
        few = _scan_queries()
        for _ in range(20):
            accepted(D(2025, 12, 4))
            LicenceFactory(valid_until=D(2025, 12, 10))
        many = _scan_queries()
        idle = _scan_queries()
    assert many == few
    assert idle <= 20  # docs/benchmarks.md: a scan with nothing new costs at most 20 queries
    assert Delivery.objects.count() == 46 * 2  # each alert to each of the two subscribers


def test_a_committed_status_change_wakes_the_outbox_early(subscribers, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    cache.delete("notifications:outbox-wake")
    with django_capture_on_commit_callbacks(execute=True):
        app = live_application(STEPS)
    # The on-commit signal ran the outbox (eagerly here): no scan was needed.
    assert Alert.objects.filter(subject_id=app.pk, kind=Kind.SUPPLEMENT_REQUESTED).count() == 1
    assert not app.events.filter(processed_at__isnull=True).exists()


def test_nothing_is_lost_when_the_wake_up_never_comes(subscribers, settings, django_capture_on_commit_callbacks):
    settings.ALERT_WAKE_ON_SIGNAL = False  # as if the broker were down when the change committed
    with django_capture_on_commit_callbacks(execute=True):
        app = live_application(STEPS)
    assert not Alert.objects.exists()
    with at(2025, 9, 26):
        services.run_scan()
    assert Alert.objects.filter(subject_id=app.pk, kind=Kind.SUPPLEMENT_REQUESTED).count() == 1


def test_policy_event_upcoming_counts_in_sql_and_lists_a_bounded_sample(
    subscribers, settings, django_assert_max_num_queries
):
    from notifications.scan import policy_affected

    settings.ALERT_AFFECTED_LISTED = 2
    dy = ControlledItemFactory(code="DY", elements="Dy")
    apps = [
        ApplicationLineFactory(item=dy, application=ApplicationFactory(status=ApplicationStatus.SUBMITTED)).application
        for _ in range(5)
    ]
    named = PolicyEventFactory(date=D(2026, 11, 10), lead_days=[30])
    named.items.set([dy])
    everything = PolicyEventFactory(date=D(2026, 11, 10), lead_days=[30])
    with django_assert_max_num_queries(1 + 2 * 3 * 2):  # items, then a count and a sample per kind and event
        affected = policy_affected([named.pk, everything.pk])
    for pk in (named.pk, everything.pk):
        assert affected[pk]["counts"]["applications"] == 5
        assert [a["id"] for a in affected[pk]["applications"]] == sorted(a.pk for a in apps)[:2]
        assert affected[pk]["truncated"] is True
    with at(2026, 10, 11):
        services.run_scan()
    alert = Alert.objects.get(kind=Kind.POLICY_EVENT_UPCOMING, subject_id=named.pk)
    assert "5 applications" in alert.message and len(alert.context["applications"]) == 2

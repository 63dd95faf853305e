"""Workers down across a deadline (docs/alerts.md, guarantee 2): for every kind that counts down
to or past a date, the state is made while the workers run, the clock jumps past the deadline
with no scan in between, and the first scan back alerts each item exactly once; a second scan
adds nothing."""

import datetime as dt
from collections import Counter

import pytest

from licensing import services as licensing_services
from licensing.models import ApplicationStatus, Document
from notifications import services
from notifications.models import Alert, Delivery, Kind, Severity
from shipments.models import ShipmentStatus
from shipments.services import customs_response_due
from tests.factories import ApplicationFactory, LicenceFactory, PolicyEventFactory, ShipmentFactory

from .conftest import at, live_application

pytestmark = pytest.mark.django_db
D = dt.date


def held(on: dt.date):
    shipment = ShipmentFactory(status=ShipmentStatus.HELD, held_on=on, planned_ship_date=None, eta=None)
    shipment.customs_response_due = customs_response_due(on)
    shipment.save()
    return shipment


def accepted(due: dt.date):
    return ApplicationFactory(status=ApplicationStatus.ACCEPTED, accepted_on=D(2025, 8, 1), decision_due=due)


def document(valid_until: dt.date):
    return Document.objects.create(
        application=ApplicationFactory(), kind=Document.Kind.END_USER_CERTIFICATE, file="x.pdf",
        original_name="euc.pdf", content_type="application/pdf", size=10, valid_until=valid_until,
        uploaded_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )


# Each case: (kind, make the items, the last scan before the downtime, the first scan after).
CASES = {
    # Due Friday 12 December; 12 working days left at the last scan, 5 at the first one back.
    "decision_due_soon": (Kind.DECISION_DUE_SOON, lambda: [accepted(D(2025, 12, 12))], D(2025, 11, 26),
                          D(2025, 12, 8)),
    # Due 4 December, back on the 12th: one overdue alert, the missed days not replayed.
    "decision_overdue": (Kind.DECISION_OVERDUE, lambda: [accepted(D(2025, 12, 4))], D(2025, 11, 20),
                         D(2025, 12, 12)),
    # Submitted 31 December; down from 5 January (2 working days) to the 20th (12).
    "acceptance_pending": (Kind.ACCEPTANCE_PENDING, lambda: [
        ApplicationFactory(status=ApplicationStatus.SUBMITTED, submitted_on=D(2025, 12, 31))
    ], D(2026, 1, 5), D(2026, 1, 20)),
    # Held Monday 2 March 2026, answer due Wednesday 11 March: 7 working days left, then 1.
    "customs_response_due": (Kind.CUSTOMS_RESPONSE_DUE, lambda: [held(D(2026, 3, 2))], D(2026, 3, 2),
                             D(2026, 3, 10)),
    # The finding: five shipments held on day 0, the answer due on day 9, workers back on day 13.
    "customs_answer_overdue": (Kind.CUSTOMS_ANSWER_OVERDUE, lambda: [held(D(2026, 3, 2)) for _ in range(5)],
                               D(2026, 3, 2), D(2026, 3, 15)),
    "licence_expiring": (Kind.LICENCE_EXPIRING, lambda: [LicenceFactory(valid_until=D(2026, 5, 31))],
                         D(2026, 4, 1), D(2026, 5, 20)),
    "shipment_late": (Kind.SHIPMENT_LATE, lambda: [
        ShipmentFactory(status=ShipmentStatus.IN_TRANSIT, eta=D(2025, 12, 3))
    ], D(2025, 11, 26), D(2025, 12, 8)),
    "document_expiring": (Kind.DOCUMENT_EXPIRING, lambda: [document(D(2026, 1, 31))], D(2025, 12, 1),
                          D(2026, 1, 28)),
    "policy_event_upcoming": (Kind.POLICY_EVENT_UPCOMING, lambda: [
        PolicyEventFactory(date=D(2026, 11, 10), lead_days=[30, 7, 1])
    ], D(2026, 9, 1), D(2026, 11, 5)),
}


@pytest.mark.parametrize("case", CASES)
def test_a_deadline_passed_while_the_workers_were_down_is_alerted_once_when_they_are_back(case, subscribers):
    kind, make, before, after = CASES[case]
    with at(before.year, before.month, before.day):
        items = make()
        services.run_scan()
        assert not Alert.objects.filter(kind=kind).exists()  # nothing due yet
    with at(after.year, after.month, after.day):
        first = services.run_scan()
        again = services.run_scan()
    per_item = Counter(Alert.objects.filter(kind=kind).values_list("subject_id", flat=True))
    assert per_item == {item.pk: 1 for item in items}
    assert again.alerts == 0 and first.alerts >= len(items)
    # Each subscriber hears of each item once (at once or in the digest, by severity).
    deliveries = Counter(Delivery.objects.filter(alert__kind=kind).values_list("alert__subject_id", "user_id"))
    assert set(deliveries.values()) <= {1}


def test_a_customs_answer_overdue_is_critical_once_per_date_and_not_for_a_released_shipment(subscribers):
    with at(2026, 3, 2):
        waiting = held(D(2026, 3, 2))
        released = held(D(2026, 3, 2))
    released.status = ShipmentStatus.DELIVERED
    released.save()
    with at(2026, 3, 11):  # due today: the response-due alert, not yet overdue
        services.run_scan()
    assert not Alert.objects.filter(kind=Kind.CUSTOMS_ANSWER_OVERDUE).exists()
    with at(2026, 3, 12):
        services.run_scan()
    with at(2026, 3, 30):
        services.run_scan()
    alert = Alert.objects.get(kind=Kind.CUSTOMS_ANSWER_OVERDUE)
    assert (alert.subject_id, alert.severity, alert.due_on) == (waiting.pk, Severity.CRITICAL, D(2026, 3, 11))
    assert "answer was due on 11 Mar 2026: 1 working day overdue" in alert.message
    # Critical: every subscriber gets it at once by default.
    assert set(Delivery.objects.filter(alert=alert).values_list("mode", flat=True)) == {"immediate"}


def test_a_step_recorded_while_the_workers_were_down_is_alerted_once_when_they_are_back(subscribers, procurement):
    """The outbox kinds: the web keeps recording steps while the workers are down; the first
    scan back turns each into its alerts once."""
    app = live_application([("submitted", "2025-09-01"), ("accepted", "2025-09-10")], actor=procurement)
    with at(2025, 9, 10):
        services.run_scan()
    with at(2025, 9, 20):  # workers down; the web records MOFCOM's request
        licensing_services.application_transition(application=app, to="supplement_requested", on=D(2025, 9, 20),
                                                  actor=procurement)
    with at(2025, 9, 26):
        services.run_scan()
        services.run_scan()
    kinds = Counter(Alert.objects.filter(subject_id=app.pk, due_on=D(2025, 9, 20)).values_list("kind", flat=True))
    assert kinds == {Kind.SUPPLEMENT_REQUESTED: 1, Kind.STATUS_CHANGED: 1}

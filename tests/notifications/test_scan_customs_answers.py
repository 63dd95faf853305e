"""An answered customs hold stops its countdown (``customs_response_due``) and overdue
(``customs_answer_overdue``) alerts; an unanswered one keeps them; a supplier's answer held for
confirmation keeps them too, saying the answer awaits confirmation
(docs/supplier-portal.md#customs-holds-messages-and-uploads). Each case runs the scan day by
day across the deadline with time-machine.

Held Monday 2 March 2026: the 7 working days end Wednesday 11 March; 5 are left on the 4th,
2 on the 9th, 0 on the 11th, and the answer is overdue from the 12th."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import services
from notifications.models import Alert, Kind
from shipments import services as shipment_services
from shipments.models import ShipmentStatus
from suppliers.services import supplier_contact_save
from tests.factories import SupplierFactory

from .conftest import at

pytestmark = pytest.mark.django_db
D = dt.date
HELD_ON = D(2026, 3, 2)
DUE = D(2026, 3, 11)
# Days of the scan, from the hold past the deadline: the 5-, 2- and 0-day thresholds, then overdue.
SCAN_DAYS = [D(2026, 3, 2), D(2026, 3, 4), D(2026, 3, 9), D(2026, 3, 11), D(2026, 3, 12), D(2026, 3, 30)]
ALERTED = [
    (Kind.CUSTOMS_RESPONSE_DUE, 5),
    (Kind.CUSTOMS_RESPONSE_DUE, 2),
    (Kind.CUSTOMS_RESPONSE_DUE, 0),
    (Kind.CUSTOMS_ANSWER_OVERDUE, None),
]
KINDS = (Kind.CUSTOMS_RESPONSE_DUE, Kind.CUSTOMS_ANSWER_OVERDUE)


def held(held_on: dt.date = HELD_ON, **kw):
    with at(held_on.year, held_on.month, held_on.day):
        return shipment_services.shipment_save(
            supplier=kw.pop("supplier", None) or SupplierFactory(),
            reference=kw.pop("reference", "BL-HELD"),
            status=ShipmentStatus.HELD,
            held_on=held_on,
            customs_question="Certificate of origin?",
            **kw,
        )


def contact_of(shipment):
    return supplier_contact_save(
        supplier=shipment.supplier, name="Li Wei", email="li.wei@example.cn", language="zh-hans"
    )


def scan(days=SCAN_DAYS, *, before=None):
    """Run the scan on each day; ``before(day)`` runs first on that day (e.g. an answer arrives)."""
    for day in days:
        with at(day.year, day.month, day.day):
            if before is not None:
                before(day)
            services.run_scan()


def alerted(shipment) -> list[tuple[str, int | None]]:
    rows = Alert.objects.filter(subject_id=shipment.pk, kind__in=KINDS).order_by("alerted_on", "id")
    return [(a.kind, a.lead) for a in rows]


def messages(shipment) -> list[str]:
    rows = Alert.objects.filter(subject_id=shipment.pk, kind__in=KINDS).order_by("alerted_on", "id")
    return list(rows.values_list("message", flat=True))


def test_a_hold_the_importer_answered_makes_no_alert_and_an_unanswered_one_still_does(subscribers, procurement):
    answered, waiting = held(reference="BL-ANSWERED"), held(reference="BL-WAITING")
    with at(2026, 3, 3):
        shipment_services.customs_answer_record(
            shipment=answered, text="Certificate sent on 3 March.", actor=procurement
        )
    scan()
    assert alerted(answered) == []
    assert alerted(waiting) == ALERTED
    assert not any("awaiting" in m for m in messages(waiting))


def test_an_answer_recorded_between_thresholds_stops_the_alerts_still_to_come(subscribers, procurement):
    shipment = held()

    def answer_on_the_10th(day):
        if day == D(2026, 3, 10):
            shipment_services.customs_answer_record(shipment=shipment, text="Answered.", actor=procurement)

    scan([*SCAN_DAYS[:3], D(2026, 3, 10), *SCAN_DAYS[3:]], before=answer_on_the_10th)
    assert alerted(shipment) == ALERTED[:2]  # 5 and 2 days left; nothing on the day or after


def test_a_supplier_answer_held_for_confirmation_still_alerts_saying_it_awaits_confirmation(subscribers):
    shipment = held()
    answers = []

    def answer_on_the_5th(day):
        if day == D(2026, 3, 5):
            answers.append(
                shipment_services.customs_answer_record(
                    shipment=shipment, text="已提交原产地证书。", contact=contact_of(shipment)
                )
            )

    scan([*SCAN_DAYS[:2], D(2026, 3, 5), *SCAN_DAYS[2:]], before=answer_on_the_5th)
    assert [a.status for a in answers] == ["held"]
    assert alerted(shipment) == ALERTED
    by_lead = dict(zip([lead for _, lead in ALERTED], messages(shipment), strict=True))
    # The 5-day alert went out on the 4th, before the answer came; the later ones say it came.
    assert "awaiting" not in by_lead[5]
    for lead in (2, 0, None):
        assert "Answer received from Li Wei (supplier), awaiting your confirmation." in by_lead[lead], by_lead[lead]
    assert "the answer was due on 11 Mar 2026" in by_lead[None]


def test_a_confirmed_supplier_answer_stops_the_alerts_and_a_rejected_one_does_not(subscribers, procurement):
    confirmed, rejected = held(reference="BL-CONFIRMED"), held(reference="BL-REJECTED")
    with at(2026, 3, 3):
        for shipment in (confirmed, rejected):
            shipment_services.customs_answer_record(shipment=shipment, text="Done.", contact=contact_of(shipment))
    scan(SCAN_DAYS[:2])  # the 5-day alert, while both answers wait for confirmation
    with at(2026, 3, 5):
        shipment_services.customs_answer_apply(answer=confirmed.customs_answers.get(), actor=procurement)
        shipment_services.customs_answer_reject(
            answer=rejected.customs_answers.get(), actor=procurement, reason="Wrong certificate."
        )
    scan(SCAN_DAYS[2:])
    assert alerted(confirmed) == ALERTED[:1]
    assert alerted(rejected) == ALERTED
    assert not any("awaiting" in m for m in messages(rejected)[1:])  # a rejected answer is no answer


def test_a_supplier_trusted_to_apply_at_once_silences_the_alerts_with_its_answer(subscribers):
    shipment = held()
    shipment.supplier.portal_apply_reports = True
    shipment.supplier.save()
    with at(2026, 3, 3):
        answer = shipment_services.customs_answer_record(shipment=shipment, text="Done.", contact=contact_of(shipment))
    assert answer.status == "applied"
    scan()
    assert alerted(shipment) == []


def test_an_answer_to_an_earlier_hold_does_not_silence_a_new_one(subscribers, procurement):
    shipment = held(D(2026, 1, 5))
    with at(2026, 1, 6):
        shipment_services.customs_answer_record(shipment=shipment, text="January's answer.", actor=procurement)
        shipment_services.shipment_save(shipment=shipment, status=ShipmentStatus.IN_TRANSIT, actor=procurement)
    with at(2026, 3, 2):  # held again: a new question, a new window
        shipment_services.shipment_save(
            shipment=shipment, status=ShipmentStatus.HELD, held_on=HELD_ON, actor=procurement
        )
    scan()
    assert alerted(shipment) == ALERTED


def _customs_scan_queries() -> int:
    with CaptureQueriesContext(connection) as ctx:
        services.run_scan(maintenance=False)
    return sum(1 for q in ctx.captured_queries if not q["sql"].lstrip().upper().startswith("INSERT"))


def test_answers_cost_the_scan_no_query(subscribers, procurement):
    """The answered and waiting states are subqueries of the one customs query: an idle scan
    costs the same with no hold, with answered holds and with answers waiting."""
    with at(2026, 3, 12):
        services.run_scan(maintenance=False)
        bare = _customs_scan_queries()
    for i in range(3):
        answered, waiting = held(reference=f"BL-A{i}"), held(reference=f"BL-W{i}")
        with at(2026, 3, 3):
            shipment_services.customs_answer_record(shipment=answered, text="Done.", actor=procurement)
            shipment_services.customs_answer_record(shipment=waiting, text="Done.", contact=contact_of(waiting))
    with at(2026, 3, 12):
        services.run_scan(maintenance=False)  # the waiting ones' overdue alerts
        assert Alert.objects.filter(kind=Kind.CUSTOMS_ANSWER_OVERDUE).count() == 3
        idle = _customs_scan_queries()
    assert idle == bare

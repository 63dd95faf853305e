"""The one door for status changes (docs/architecture.md#workflow): licensing.services.application_transition."""

import datetime as dt
from itertools import product

import pytest

from core.errors import ConflictError, DomainError
from licensing import services
from licensing.models import ApplicationEvent, Licence, LicenceApplication
from licensing.models import ApplicationStatus as S
from licensing.models.applications import FINAL_STATUSES, TRANSITIONS
from licensing.signals import application_status_changed

from .helpers import TODAY, at

ALLOWED = [(src, dst) for src, targets in TRANSITIONS.items() for dst in targets]
REFUSED = [(src, dst) for src, dst in product(S.values, S.values) if dst not in TRANSITIONS[src]]
STEP_ON = dt.date(2025, 10, 1)


def test_the_table_is_the_one_in_the_design():
    # docs/architecture.md#workflow, row by row: a change here must be a deliberate change of the spec.
    assert {k: set(v) for k, v in TRANSITIONS.items()} == {
        S.DRAFT: {S.DOCUMENTS_PENDING, S.SUBMITTED, S.WITHDRAWN},
        S.DOCUMENTS_PENDING: {S.SUBMITTED, S.WITHDRAWN},
        S.SUBMITTED: {S.ACCEPTED, S.REJECTED, S.WITHDRAWN},
        S.ACCEPTED: {S.SUPPLEMENT_REQUESTED, S.APPROVED, S.REJECTED, S.WITHDRAWN},
        S.SUPPLEMENT_REQUESTED: {S.ACCEPTED, S.REJECTED, S.WITHDRAWN},
        S.APPROVED: set(),
        S.REJECTED: set(),
        S.WITHDRAWN: set(),
    }
    assert len(ALLOWED) == 15 and len(REFUSED) == 64 - 15


@pytest.mark.parametrize(("src", "dst"), ALLOWED)
def test_it_allows_every_move_of_the_table(make_application, procurement, frozen_today, src, dst):
    application = make_application(src)
    moved = services.application_transition(application=application, to=dst, on=STEP_ON, actor=procurement)

    assert moved.status == dst
    assert LicenceApplication.objects.get(pk=application.pk).status == dst
    event = ApplicationEvent.objects.filter(application=application).last()
    assert (event.from_status, event.to_status, event.on, event.recorded_by) == (src, dst, STEP_ON, procurement)
    if dst == S.SUBMITTED:
        assert moved.submitted_on == STEP_ON
    if dst in (S.APPROVED, S.REJECTED):
        assert moved.decided_on == STEP_ON
    if dst in FINAL_STATUSES:
        assert moved.closed_on == STEP_ON and moved.is_final


@pytest.mark.parametrize(("src", "dst"), REFUSED)
def test_it_refuses_every_move_outside_the_table(make_application, frozen_today, src, dst):
    application = make_application(src)
    events_before = application.events.count()

    with pytest.raises(ConflictError) as exc:
        services.application_transition(application=application, to=dst, on=STEP_ON)

    assert exc.value.error_dict["to"][0].code == "transition_not_allowed"
    message = exc.value.message_dict["to"][0]
    assert application.reference in message and f"'{src}'" in message and f"'{dst}'" in message
    assert LicenceApplication.objects.get(pk=application.pk).status == src
    assert application.events.count() == events_before


def test_it_refuses_an_unknown_status(make_application, frozen_today):
    application = make_application(S.DRAFT)
    with pytest.raises(DomainError) as exc:
        services.application_transition(application=application, to="granted", on=STEP_ON)
    assert exc.value.error_dict["to"][0].code == "invalid_choice"


def test_it_accepts_a_step_dated_months_ago(make_application, frozen_today):
    # Teams record late: a submission in May recorded in December is normal.
    application = make_application(S.DRAFT)
    moved = services.application_transition(application=application, to=S.SUBMITTED, on="2025-05-06")
    assert moved.submitted_on == dt.date(2025, 5, 6)


def test_it_accepts_a_step_dated_today_and_one_on_the_same_day_as_the_previous(make_application, frozen_today):
    application = make_application(S.DRAFT)
    services.application_transition(application=application, to=S.SUBMITTED, on=TODAY)
    moved = services.application_transition(application=application, to=S.ACCEPTED, on=TODAY)
    assert moved.accepted_on == TODAY


def test_it_refuses_a_step_dated_after_today(make_application, frozen_today):
    application = make_application(S.DRAFT)
    with pytest.raises(DomainError) as exc:
        services.application_transition(application=application, to=S.SUBMITTED, on=TODAY + dt.timedelta(days=1))
    assert exc.value.error_dict["on"][0].code == "date_in_future"
    assert not application.events.exists()


def test_today_is_the_date_in_china(make_application):
    # 20:00 UTC on 30 November is already 1 December in Shanghai.
    import time_machine

    application = make_application(S.DRAFT)
    with time_machine.travel(dt.datetime(2025, 11, 30, 20, tzinfo=dt.UTC), tick=False):
        moved = services.application_transition(application=application, to=S.SUBMITTED, on=dt.date(2025, 12, 1))
    assert moved.submitted_on == dt.date(2025, 12, 1)


def test_it_refuses_a_step_dated_before_the_previous_step(make_application, frozen_today):
    application = make_application(S.SUBMITTED, start=dt.date(2025, 10, 10))
    with pytest.raises(DomainError) as exc:
        services.application_transition(application=application, to=S.ACCEPTED, on=dt.date(2025, 10, 9))
    assert exc.value.error_dict["on"][0].code == "date_before_previous_step"
    assert "2025-10-10" in exc.value.message_dict["on"][0]
    assert LicenceApplication.objects.get(pk=application.pk).status == S.SUBMITTED


@pytest.mark.parametrize("on", [None, "", "1 Oct 2025", "2025-13-01"])
def test_it_refuses_a_step_without_a_valid_date(make_application, frozen_today, on):
    application = make_application(S.DRAFT)
    with pytest.raises(DomainError) as exc:
        services.application_transition(application=application, to=S.SUBMITTED, on=on)
    assert "on" in exc.value.message_dict


def test_create_back_loads_history_and_returns_the_application_as_it_ended(procurement, supplier, item, frozen_today):
    application = services.application_create(
        supplier=supplier, end_user="Motor Works GmbH", destination_country="DE", actor=procurement,
        lines=[{"item": item, "quantity": "250", "unit": "kg"}],
        events=[
            {"to": S.SUBMITTED, "on": "2025-09-22"},
            {"to": S.ACCEPTED, "on": "2025-09-26", "note": "Accepted by MOFCOM"},
        ],
    )
    assert application.status == S.ACCEPTED
    assert application.reference.startswith("LA-2025-")
    assert application.accepted_on == dt.date(2025, 9, 26)
    assert application.decision_due == dt.date(2025, 12, 4)  # the stored clock, not a stale copy
    assert [e.to_status for e in application.events.all()] == [S.SUBMITTED, S.ACCEPTED]
    assert application.lines.get().quantity == 250


def test_create_refuses_a_bad_history_naming_the_event(supplier, frozen_today):
    with pytest.raises(ConflictError) as exc:
        services.application_create(
            supplier=supplier, end_user="X", destination_country="DE",
            events=[{"to": S.SUBMITTED, "on": "2025-09-22"}, {"to": S.APPROVED, "on": "2025-09-26"}],
        )
    assert "events[1].to" in exc.value.message_dict
    assert not LicenceApplication.objects.exists()  # all or nothing


def test_create_refuses_fields_it_does_not_own(supplier, frozen_today):
    with pytest.raises(DomainError) as exc:
        services.application_create(supplier=supplier, end_user="X", destination_country="DE", status=S.APPROVED)
    assert "status" in exc.value.message_dict


def test_create_names_the_bad_line(supplier, item, frozen_today):
    with pytest.raises(DomainError) as exc:
        services.application_create(
            supplier=supplier, end_user="X", destination_country="DE",
            lines=[{"item": item, "quantity": "10"}, {"item": item, "quantity": "-1"}],
        )
    assert "lines[1].quantity" in exc.value.message_dict


def test_approval_with_licence_data_records_the_licence(make_application, supplier, item, compliance, frozen_today):
    application = make_application(S.ACCEPTED)
    services.application_transition(
        application=application, to=S.APPROVED, on="2025-11-20", actor=compliance,
        licence={"number": "LIC-2025-0042", "valid_until": "2026-11-19", "lines": [
            {"item": item, "approved_quantity": "500", "unit": "kg"}
        ]},
    )
    licence = Licence.objects.get(number="LIC-2025-0042")
    assert licence.application == application and licence.supplier == supplier
    assert licence.valid_from == dt.date(2025, 11, 20)  # defaults to the approval date
    assert licence.lines.get().approved_quantity == 500


def test_approval_with_bad_licence_data_changes_nothing(make_application, frozen_today):
    application = make_application(S.ACCEPTED)
    with pytest.raises(DomainError) as exc:
        services.application_transition(
            application=application, to=S.APPROVED, on="2025-11-20", licence={"number": "L-1", "lines": []}
        )
    assert "licence.valid_until" in exc.value.message_dict
    assert LicenceApplication.objects.get(pk=application.pk).status == S.ACCEPTED
    assert not Licence.objects.exists()


def test_licence_data_only_comes_with_approval(make_application, frozen_today):
    application = make_application(S.SUBMITTED)
    with pytest.raises(DomainError) as exc:
        services.application_transition(application=application, to=S.ACCEPTED, on="2025-11-20", licence={})
    assert "licence" in exc.value.message_dict


def test_return_from_supplement_keeps_the_first_acceptance_date(make_application, frozen_today):
    application = make_application(S.SUPPLEMENT_REQUESTED, start=dt.date(2025, 9, 1))
    moved = services.application_transition(application=application, to=S.ACCEPTED, on="2025-10-20")
    assert moved.accepted_on == dt.date(2025, 9, 2)


def test_the_status_signal_is_sent_on_commit(make_application, frozen_today, django_capture_on_commit_callbacks):
    application = make_application(S.DRAFT)
    received = []
    application_status_changed.connect(lambda **kw: received.append(kw["event"]), weak=False, dispatch_uid="t")
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.application_transition(application=application, to=S.SUBMITTED, on="2025-11-03")
        assert received == []  # nothing before commit
        for callback in callbacks:
            callback()
    finally:
        application_status_changed.disconnect(dispatch_uid="t")
    assert [e.to_status for e in received] == [S.SUBMITTED]


def test_history_rows_record_who_made_the_change(make_application, procurement, compliance, frozen_today):
    application = make_application(S.DRAFT, actor=procurement)
    services.application_transition(application=application, to=S.SUBMITTED, on="2025-11-03", actor=compliance)
    services.application_update(application=application, notes="Chased the supplier", actor=procurement)

    rows = list(application.history.order_by("history_id"))
    assert [row.history_user for row in rows] == [procurement, compliance, procurement]
    assert [row.history_change_reason for row in rows] == ["created", "draft -> submitted", "updated"]
    assert rows[-1].notes == "Chased the supplier"
    assert {row.reference for row in rows} == {application.reference}  # never the temporary one


def test_update_refuses_a_status_change(make_application, frozen_today):
    application = make_application(S.DRAFT)
    with pytest.raises(DomainError) as exc:
        services.application_update(application=application, status=S.APPROVED)
    assert "status" in exc.value.message_dict


def test_transition_costs_a_bounded_number_of_queries(make_application, frozen_today, django_assert_max_num_queries):
    application = make_application(S.SUBMITTED)
    with at(TODAY), django_assert_max_num_queries(16):
        services.application_transition(application=application, to=S.ACCEPTED, on="2025-11-03")

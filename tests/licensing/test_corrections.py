"""Correcting the last step recorded by mistake (licensing.services.application_correct_last_step):
never a delete, the status, dates, clock and prediction recomputed, an approval's licence revoked
(or the undo refused while shipments draw on it)."""

import datetime as dt

import pytest

from core.errors import ConflictError, DomainError
from licensing import services
from licensing.models import ApplicationEvent, Licence, LicenceApplication, LicenceEvent
from licensing.models import ApplicationStatus as S
from tests.factories import ShipmentFactory

pytestmark = pytest.mark.django_db


def _approve(application, item, actor=None):
    return services.application_transition(
        application=application, to=S.APPROVED, on="2025-11-20", actor=actor,
        licence={"number": "LIC-2025-0042", "valid_until": "2026-11-19",
                 "lines": [{"item": item, "approved_quantity": "500", "unit": "kg"}]},
    )


def test_undo_voids_the_step_keeps_it_and_moves_the_status_back(make_application, compliance, frozen_today):
    application = make_application(S.ACCEPTED, start=dt.date(2025, 10, 1))  # submitted 1 Oct, accepted 2 Oct
    due_when_accepted = application.decision_due
    services.application_transition(application=application, to=S.SUPPLEMENT_REQUESTED, on="2025-11-03")

    corrected = services.application_correct_last_step(
        application=application, action="undo", reason="Wrong file: that was LA-2025-00007.", actor=compliance
    )

    assert corrected.status == S.ACCEPTED
    stored = LicenceApplication.objects.get(pk=application.pk)
    assert stored.status == S.ACCEPTED and stored.decision_due == due_when_accepted  # no supplement pause
    voided = ApplicationEvent.with_voided.get(application=application, to_status=S.SUPPLEMENT_REQUESTED)
    assert voided.voided_by == compliance and voided.voided_at is not None
    assert voided.void_reason == "Wrong file: that was LA-2025-00007."
    assert [e.to_status for e in stored.events.all()] == [S.SUBMITTED, S.ACCEPTED]  # the clock's view
    assert stored.history.first().history_change_reason == "correction: supplement_requested step undone"
    assert stored.history.first().history_user == compliance


def test_undo_of_the_first_acceptance_clears_its_date_and_the_clock(make_application, compliance, frozen_today):
    application = make_application(S.ACCEPTED)
    assert application.decision_due is not None
    services.application_correct_last_step(application=application, action="undo", reason="Not yet", actor=compliance)
    stored = LicenceApplication.objects.get(pk=application.pk)
    assert (stored.status, stored.accepted_on, stored.decision_due) == (S.SUBMITTED, None, None)


def test_redate_records_the_step_again_pointing_at_the_voided_one(make_application, compliance, frozen_today):
    application = make_application(S.ACCEPTED, start=dt.date(2025, 10, 1))
    before = application.decision_due
    services.application_correct_last_step(
        application=application, action="redate", on="2025-10-09", reason="Typed the filing date", actor=compliance
    )
    stored = LicenceApplication.objects.get(pk=application.pk)
    assert stored.status == S.ACCEPTED and stored.accepted_on == dt.date(2025, 10, 9)
    assert stored.decision_due > before  # the clock starts a week later
    new = stored.events.get(to_status=S.ACCEPTED)
    assert new.replaces.on == dt.date(2025, 10, 2) and new.replaces.voided_at is not None
    assert new.recorded_by == compliance
    assert ApplicationEvent.with_voided.filter(application=application).count() == 3


def test_redate_of_a_decision_recomputes_the_working_days_to_it(make_application, compliance, frozen_today):
    application = make_application(S.APPROVED, start=dt.date(2025, 10, 1))  # decided 3 Oct
    services.application_correct_last_step(
        application=application, action="redate", on="2025-11-14", reason="Approval letter date", actor=compliance
    )
    stored = LicenceApplication.objects.get(pk=application.pk)
    assert stored.decided_on == stored.closed_on == dt.date(2025, 11, 14)
    assert stored.decision_working_days > 20


@pytest.mark.parametrize(
    ("on", "code"),
    [("2025-12-02", "date_in_future"), ("2025-09-30", "date_before_previous_step"), ("2025-10-02", "unchanged"),
     ("", "required"), ("03/12/2025", "invalid_date")],
)
def test_redate_refuses_a_date_the_timeline_cannot_have(make_application, compliance, frozen_today, on, code):
    application = make_application(S.ACCEPTED, start=dt.date(2025, 10, 1))
    with pytest.raises(DomainError) as exc:
        services.application_correct_last_step(
            application=application, action="redate", on=on, reason="x", actor=compliance
        )
    assert exc.value.error_dict["on"][0].code == code
    assert not ApplicationEvent.with_voided.filter(voided_at__isnull=False).exists()


def test_it_needs_a_reason_a_known_action_and_a_step(make_application, compliance, frozen_today):
    application = make_application(S.SUBMITTED)
    with pytest.raises(DomainError) as exc:
        services.application_correct_last_step(application=application, action="undo", reason="  ", actor=compliance)
    assert "reason" in exc.value.message_dict
    with pytest.raises(DomainError) as exc:
        services.application_correct_last_step(application=application, action="delete", reason="x")
    assert "action" in exc.value.message_dict
    draft = make_application(S.DRAFT)
    with pytest.raises(ConflictError, match="no step to correct"):
        services.application_correct_last_step(application=draft, action="undo", reason="x")
    assert LicenceApplication.objects.get(pk=application.pk).status == S.SUBMITTED


def test_undoing_an_approval_revokes_its_licence_through_the_one_status_writer(
    make_application, item, compliance, frozen_today
):
    application = _approve(make_application(S.ACCEPTED), item)
    services.application_correct_last_step(
        application=application, action="undo", reason="Approval was for another file", actor=compliance
    )
    licence = Licence.objects.get(number="LIC-2025-0042")
    assert licence.status == "revoked"
    event = LicenceEvent.objects.filter(licence=licence).latest("id")
    assert (event.from_status, event.to_status) == ("active", "revoked")
    assert event.reason == f"approval of {application.reference} undone" and event.recorded_by == compliance
    stored = LicenceApplication.objects.get(pk=application.pk)
    assert (stored.status, stored.decided_on, stored.closed_on) == (S.ACCEPTED, None, None)


def test_undoing_an_approval_is_refused_while_a_shipment_draws_its_licence(
    make_application, item, compliance, frozen_today
):
    application = _approve(make_application(S.ACCEPTED), item)
    licence = Licence.objects.get(number="LIC-2025-0042")
    ShipmentFactory(supplier=application.supplier, licence=licence, reference="COSU6281734")
    with pytest.raises(ConflictError) as exc:
        services.application_correct_last_step(application=application, action="undo", reason="x", actor=compliance)
    message = exc.value.message_dict["action"][0]
    assert "LIC-2025-0042" in message and "shipment COSU6281734" in message
    assert Licence.objects.get(pk=licence.pk).status == "active"
    assert LicenceApplication.objects.get(pk=application.pk).status == S.APPROVED
    # A new date for the approval leaves the licence as it is: nothing draws less.
    services.application_correct_last_step(
        application=application, action="redate", on="2025-11-21", reason="Letter date", actor=compliance
    )
    assert Licence.objects.get(pk=licence.pk).status == "active"


def test_a_step_voided_before_the_scan_never_alerts_and_its_new_date_does(make_application, compliance, frozen_today):
    application = make_application(S.SUBMITTED)
    services.application_transition(application=application, to=S.ACCEPTED, on="2025-11-20")
    step = application.events.get(to_status=S.ACCEPTED)
    services.application_correct_last_step(
        application=application, action="redate", on="2025-11-24", reason="x", actor=compliance
    )
    step.refresh_from_db()
    assert step.processed_at is not None  # the outbox never picks up the voided step
    assert application.events.get(to_status=S.ACCEPTED).processed_at is None  # the standing one alerts once


def test_a_correction_sends_the_wake_up_and_refreshes_the_prediction_on_commit(
    make_application, compliance, frozen_today, django_capture_on_commit_callbacks
):
    from licensing.signals import application_status_changed

    application = make_application(S.ACCEPTED)
    LicenceApplication.objects.filter(pk=application.pk).update(predicted_decision_p50=dt.date(2030, 1, 1))
    received = []
    application_status_changed.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="test-correct")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.application_correct_last_step(application=application, action="undo", reason="x")
    finally:
        application_status_changed.disconnect(dispatch_uid="test-correct")
    assert received and received[0]["corrected"] is True and received[0]["event"].to_status == S.ACCEPTED
    stored = LicenceApplication.objects.get(pk=application.pk)
    assert stored.predicted_decision_p50 != dt.date(2030, 1, 1)  # recomputed for a submitted file


def test_the_next_step_after_an_undo_is_dated_against_the_standing_steps(make_application, frozen_today):
    application = make_application(S.SUBMITTED, start=dt.date(2025, 10, 1))
    services.application_transition(application=application, to=S.ACCEPTED, on="2025-11-25")
    services.application_correct_last_step(application=application, action="undo", reason="x")
    # Before the voided step's date, after the standing one's: allowed.
    services.application_transition(application=application, to=S.ACCEPTED, on="2025-10-20")
    assert LicenceApplication.objects.get(pk=application.pk).accepted_on == dt.date(2025, 10, 20)

"""The statutory clock (docs/architecture.md#clock) on China's official working-day calendar."""

import datetime as dt

import pytest

from licensing import clock, selectors, services
from licensing.clock import ClockInput, SupplementPeriod, WorkingCalendar, compute
from licensing.models import ApplicationStatus as S
from licensing.models import CalendarOverride, LicenceApplication, PublishedCalendarYear

from .helpers import at

D = dt.date
CAL = WorkingCalendar()


# --- The calendar --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 9, 28), True),  # Sunday, make-up day before National Day
        (D(2025, 10, 1), False),  # National Day
        (D(2025, 10, 3), False),
        (D(2025, 10, 6), False),  # Mid-Autumn Festival falls in the Golden Week of 2025
        (D(2025, 10, 8), False),
        (D(2025, 10, 9), True),
        (D(2025, 10, 11), True),  # Saturday, make-up day after it
        (D(2025, 10, 12), False),  # an ordinary Sunday
        (D(2026, 2, 14), True),  # Saturday, make-up day before Spring Festival 2026
        (D(2026, 2, 16), False),  # Spring Festival eve holiday
        (D(2026, 2, 17), False),  # Spring Festival
        (D(2026, 2, 23), False),  # last day of the 2026 Spring Festival break
        (D(2026, 2, 24), True),
        (D(2026, 2, 28), True),  # Saturday, make-up day after it
        (D(2026, 1, 4), True),  # Sunday, make-up day after New Year 2026
    ],
)
def test_the_calendar_knows_holidays_and_make_up_days(day, working):
    assert CAL.is_working_day(day) is working


def test_golden_week_2025_has_no_working_day_from_1_to_8_october():
    days = [D(2025, 10, d) for d in range(1, 9)]
    assert not any(CAL.is_working_day(d) for d in days)
    # After Friday 26 Sep: Sunday 28 (make-up), 29 and 30 Sep; nothing until Thursday 9 Oct.
    assert CAL.working_days_between(D(2025, 9, 26), D(2025, 10, 8)) == 3
    # ... then 9, 10 and the make-up Saturday 11 Oct; Sunday 12 Oct is off.
    assert CAL.working_days_between(D(2025, 9, 26), D(2025, 10, 12)) == 6


def test_add_working_days_skips_spring_festival_2026():
    # Friday 13 Feb 2026 + 1 working day is the make-up Saturday 14 Feb; + 2 jumps the break.
    assert CAL.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert CAL.add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)


# --- The worked examples of shared/domain/README.md --------------------------------------------


@pytest.mark.parametrize(
    ("accepted", "due"),
    [(D(2025, 4, 4), D(2025, 6, 11)), (D(2025, 9, 26), D(2025, 12, 4)), (D(2025, 10, 9), D(2025, 12, 10))],
)
def test_the_worked_examples(accepted, due):
    result = compute(ClockInput(accepted), today=accepted, cal=CAL)
    assert result.decision_due == due
    assert (result.working_days_elapsed, result.working_days_remaining, result.overdue) == (0, 45, False)
    assert not result.estimated


def test_elapsed_remaining_and_overdue_count_working_days():
    accepted = D(2025, 9, 26)
    # Up to Sunday 12 Oct: 28, 29, 30 Sep and 9, 10, 11 Oct are counted.
    result = compute(ClockInput(accepted), today=D(2025, 10, 12), cal=CAL)
    assert (result.working_days_elapsed, result.working_days_remaining, result.overdue) == (6, 39, False)
    on_due = compute(ClockInput(accepted), today=D(2025, 12, 4), cal=CAL)
    assert (on_due.working_days_remaining, on_due.overdue) == (0, False)
    late = compute(ClockInput(accepted), today=D(2025, 12, 8), cal=CAL)  # Monday after the due Thursday
    assert (late.working_days_remaining, late.overdue) == (-2, True)


def test_a_decision_stops_the_count():
    result = compute(ClockInput(D(2025, 9, 26), decided_on=D(2025, 12, 8)), today=D(2026, 3, 1), cal=CAL)
    assert (result.working_days_elapsed, result.overdue) == (47, False)


def test_no_acceptance_no_clock():
    assert compute(ClockInput(None), today=D(2025, 12, 1), cal=CAL) == clock.NO_CLOCK


# --- Supplement pauses ---------------------------------------------------------------------------


def test_a_closed_supplement_period_moves_the_due_date_out_by_its_working_days():
    # Requested Mon 3 Nov, provided Mon 10 Nov 2025: 4–10 Nov holds 5 working days.
    inp = ClockInput(D(2025, 9, 26), supplements=(SupplementPeriod(D(2025, 11, 3), D(2025, 11, 10)),))
    result = compute(inp, today=D(2025, 11, 20), cal=CAL)
    assert result.decision_due == CAL.add_working_days(D(2025, 12, 4), 5) == D(2025, 12, 11)
    assert result.supplement_days == 5 and not result.paused


def test_an_open_supplement_period_moves_the_due_date_out_day_by_day():
    inp = ClockInput(D(2025, 9, 26), supplements=(SupplementPeriod(D(2025, 11, 3)),))
    dues = {day: compute(inp, today=day, cal=CAL) for day in (D(2025, 11, 3), D(2025, 11, 4), D(2025, 11, 7))}
    assert dues[D(2025, 11, 3)].decision_due == D(2025, 12, 4)
    assert dues[D(2025, 11, 4)].decision_due == D(2025, 12, 5)
    assert dues[D(2025, 11, 7)].decision_due == D(2025, 12, 10)  # 4 working days paused so far
    assert all(c.paused for c in dues.values())
    # Saturday: not a working day, nothing moves.
    assert compute(inp, today=D(2025, 11, 8), cal=CAL).decision_due == D(2025, 12, 10)


def test_the_supplement_rule_can_be_switched_off():
    periods = (SupplementPeriod(D(2025, 11, 3), D(2025, 11, 10)), SupplementPeriod(D(2025, 11, 17)))
    inp = ClockInput(D(2025, 9, 26), supplements=periods, pauses_for_supplement=False)
    result = compute(inp, today=D(2025, 11, 20), cal=CAL)
    assert result.decision_due == D(2025, 12, 4)
    assert not result.paused and result.supplement_days == 0


# --- Overrides, estimated years, review periods, exemptions ------------------------------------


def test_an_override_wins_over_the_package():
    # An extra day off on Wednesday 15 Oct 2025 and a make-up Saturday 18 Oct 2025.
    cal = WorkingCalendar(days_off=[D(2025, 10, 15)], working_days=[D(2025, 10, 18), D(2025, 10, 1)])
    assert not cal.is_working_day(D(2025, 10, 15))
    assert cal.is_working_day(D(2025, 10, 18))
    assert cal.is_working_day(D(2025, 10, 1))  # even over a public holiday
    # One day lost (15 Oct), two won (1 and 18 Oct): the due date comes one working day earlier.
    assert compute(ClockInput(D(2025, 9, 26)), today=D(2025, 9, 26), cal=cal).decision_due == D(2025, 12, 3)


def test_a_year_without_a_published_schedule_is_estimated():
    result = compute(ClockInput(D(2026, 11, 2)), today=D(2026, 11, 2), cal=CAL)
    assert result.decision_due == D(2027, 1, 5)  # runs into 2027, whose schedule is not known yet
    assert result.estimated
    assert CAL.is_estimated(D(2027, 6, 1)) and not CAL.is_estimated(D(2026, 6, 1))
    published = WorkingCalendar(published_years=[2027])
    assert not compute(ClockInput(D(2026, 11, 2)), today=D(2026, 11, 2), cal=published).estimated


def test_the_review_period_is_an_input():
    assert compute(ClockInput(D(2025, 9, 26), review_days=20), today=D(2025, 9, 26), cal=CAL).decision_due == D(
        2025, 10, 30
    )


# --- Stored on the application by the services -------------------------------------------------


ACCEPTED_ON = D(2025, 9, 26)


def _accepted(make_application, accepted_on=ACCEPTED_ON, **fields):
    application = make_application(S.SUBMITTED, start=accepted_on - dt.timedelta(days=3), **fields)
    return services.application_transition(application=application, to=S.ACCEPTED, on=accepted_on)


def test_acceptance_stores_the_due_date(make_application, frozen_today):
    application = _accepted(make_application)
    assert LicenceApplication.objects.get(pk=application.pk).decision_due == D(2025, 12, 4)


def test_an_open_supplement_moves_the_stored_due_date_under_time_travel(make_application):
    with at(D(2025, 11, 3)):
        application = _accepted(make_application)
        services.application_transition(application=application, to=S.SUPPLEMENT_REQUESTED, on=D(2025, 11, 3))
    seen = []
    for day in (D(2025, 11, 4), D(2025, 11, 5), D(2025, 11, 6)):
        with at(day):
            services.applications_refresh_clocks()
            application.refresh_from_db()
            seen.append(application.decision_due)
            assert selectors.application_clock(application).paused
    assert seen == [D(2025, 12, 5), D(2025, 12, 8), D(2025, 12, 9)]
    with at(D(2025, 11, 10)):
        services.application_transition(application=application, to=S.ACCEPTED, on=D(2025, 11, 10))
    application.refresh_from_db()
    assert application.decision_due == D(2025, 12, 11)  # five working days (4–10 Nov) paused
    with at(D(2025, 11, 20)):
        assert not selectors.application_clock(application).paused


def test_a_decision_while_waiting_for_a_supplement_closes_the_pause(make_application):
    with at(D(2025, 11, 10)):
        application = _accepted(make_application)
        services.application_transition(application=application, to=S.SUPPLEMENT_REQUESTED, on=D(2025, 11, 3))
        services.application_transition(application=application, to=S.REJECTED, on=D(2025, 11, 10))
    application.refresh_from_db()
    with at(D(2026, 1, 5)):
        result = selectors.application_clock(application)
    assert result.decision_due == D(2025, 12, 11) and not result.paused and not result.overdue
    # 28-30 Sep, 9-11 Oct, three full October weeks and 3 Nov are counted (22); 4-10 Nov paused.
    assert application.decision_working_days == result.working_days_elapsed == 22


def test_the_supplement_setting_switched_off(make_application, settings):
    settings.SUPPLEMENT_PAUSES_CLOCK = False
    with at(D(2025, 11, 20)):
        application = _accepted(make_application)
        services.application_transition(application=application, to=S.SUPPLEMENT_REQUESTED, on=D(2025, 11, 3))
        application.refresh_from_db()
        assert application.decision_due == D(2025, 12, 4)
        assert not selectors.application_clock(application).paused


def test_a_calendar_override_saved_recomputes_stored_due_dates(make_application, compliance, frozen_today):
    application = _accepted(make_application)
    services.calendar_override_save(date=D(2025, 11, 14), kind=CalendarOverride.Kind.DAY_OFF, actor=compliance)
    application.refresh_from_db()
    assert application.decision_due == D(2025, 12, 5)
    working = services.calendar_override_save(date=D(2025, 11, 15), kind="working_day", actor=compliance)
    application.refresh_from_db()
    assert application.decision_due == D(2025, 12, 4)  # the make-up Saturday wins back the day
    services.calendar_override_delete(override=working, actor=compliance)
    application.refresh_from_db()
    assert application.decision_due == D(2025, 12, 5)
    assert CalendarOverride.history.filter(history_user=compliance).count() == 3


def test_a_published_year_is_no_longer_estimated(make_application):
    with at(D(2026, 11, 20)):
        application = _accepted(make_application, accepted_on=D(2026, 11, 2))
        application.refresh_from_db()
        assert application.decision_due_estimated
        services.published_year_save(year=2027, source="State Council notice")
        application.refresh_from_db()
        assert not application.decision_due_estimated
        assert PublishedCalendarYear.objects.get().year == 2027


@pytest.mark.parametrize("exemption", ["watch_list", "state_council"])
def test_an_exempt_application_has_no_due_date_and_says_why(make_application, frozen_today, exemption):
    application = _accepted(make_application, time_limit_exemption=exemption)
    application.refresh_from_db()
    assert application.decision_due is None
    result = selectors.application_clock(application)
    assert result.decision_due is None and not result.overdue
    assert result.exempt_reason in ("End user on MOFCOM's Watch List", "Referred to the State Council")


def test_exempting_later_clears_the_due_date_and_lifting_it_restores_it(make_application, frozen_today):
    application = _accepted(make_application)
    services.application_update(application=application, time_limit_exemption="watch_list")
    application.refresh_from_db()
    assert application.decision_due is None
    services.application_update(application=application, time_limit_exemption="")
    application.refresh_from_db()
    assert application.decision_due == D(2025, 12, 4)


def test_the_review_period_is_a_setting_per_kind(make_application, settings, frozen_today):
    settings.REVIEW_PERIOD_WORKING_DAYS = {"single": 45, "general": 20}
    single = _accepted(make_application)
    general = _accepted(make_application, kind="general")
    single.refresh_from_db()
    general.refresh_from_db()
    assert (single.decision_due, general.decision_due) == (D(2025, 12, 4), D(2025, 10, 30))


def test_overdue_applications_come_from_the_stored_due_date(make_application):
    with at(D(2025, 12, 5)):
        late = _accepted(make_application)
        _accepted(make_application, accepted_on=D(2025, 10, 9))  # due 10 Dec
        exempt = _accepted(make_application, time_limit_exemption="state_council")
        assert list(selectors.overdue_applications()) == [late]
        assert exempt not in selectors.clock_running_applications()


def test_an_override_recomputes_only_the_clocks_that_count_across_it(make_application, compliance, frozen_today):
    decided = _accepted(make_application)
    services.application_transition(application=decided, to=S.APPROVED, on=D(2025, 11, 3))
    running = _accepted(make_application)
    # 10 Nov is after the first decision: only the running clock counts across it.
    assert services.calendar_refresh(day=D(2025, 11, 10)) == 1
    services.calendar_override_save(date=D(2025, 11, 10), kind="day_off", actor=compliance)
    decided.refresh_from_db()
    running.refresh_from_db()
    assert (decided.decision_working_days, running.decision_due) == (22, D(2025, 12, 5))
    # Moving the override back into the first application's window recomputes it too.
    override = CalendarOverride.objects.get()
    services.calendar_override_save(override=override, date=D(2025, 10, 31), actor=compliance)
    decided.refresh_from_db()
    assert decided.decision_working_days == 21

"""The clock in closed form (running working-day counts, supplement periods as intervals) gives
exactly what walking the calendar day by day gives, the definition in docs/architecture.md#clock."""

from __future__ import annotations

import datetime as dt
import random

from licensing.clock import ClockInput, SupplementPeriod, WorkingCalendar, compute

D = dt.date
CAL = WorkingCalendar(days_off=[D(2026, 3, 10)], working_days=[D(2026, 3, 14)])


def walked(inp: ClockInput, *, today: dt.date, cal: WorkingCalendar) -> tuple:
    """The definition, day by day: counted days are working days after acceptance outside every
    supplement period (R, P]; the due date is the review_days-th of them."""
    end = inp.decided_on or today
    pauses = [(p.requested_on, p.provided_on or end) for p in inp.supplements] if inp.pauses_for_supplement else []

    def counted(day: dt.date) -> bool:
        return cal.is_working_day(day) and not any(r < day <= p for r, p in pauses)

    due, n, day, elapsed, skipped = inp.accepted_on, 0, inp.accepted_on, 0, 0
    while n < inp.review_days or day < end:
        day += dt.timedelta(days=1)
        if counted(day):
            if n < inp.review_days:
                n, due = n + 1, day
            if day <= end:
                elapsed += 1
        elif day <= end and cal.is_working_day(day):
            skipped += 1
    return due, elapsed, skipped


def test_the_closed_form_equals_the_day_by_day_walk():
    rng = random.Random(12)
    for _ in range(3000):
        # Mostly recent files, some at the edges of the counted range (2000 to 2060).
        base = rng.choice([D(2025, 1, 1), D(2026, 1, 1), D(2000, 1, 1), D(2060, 10, 1), D(1999, 12, 1)])
        accepted = base + dt.timedelta(days=rng.randrange(0, 400))
        supplements = []
        for _ in range(rng.randrange(0, 4)):
            requested = accepted + dt.timedelta(days=rng.randrange(-10, 120))
            provided = None if rng.random() < 0.3 else requested + dt.timedelta(days=rng.randrange(0, 60))
            supplements.append(SupplementPeriod(requested, provided))
        decided = None if rng.random() < 0.5 else accepted + dt.timedelta(days=rng.randrange(0, 200))
        today = accepted + dt.timedelta(days=rng.randrange(0, 250))
        inp = ClockInput(accepted, review_days=rng.choice([0, 1, 30, 45, 60]), supplements=tuple(supplements),
                         decided_on=decided, pauses_for_supplement=rng.random() < 0.9)
        got = compute(inp, today=today, cal=CAL)
        expected = walked(inp, today=today, cal=CAL)
        assert (got.decision_due, got.working_days_elapsed, got.supplement_days) == expected, inp


def test_running_counts_equal_counting_day_by_day_across_the_edges():
    rng = random.Random(3)
    for _ in range(2000):
        start = rng.choice([D(2026, 2, 1), D(1999, 12, 20), D(2060, 12, 20)]) + dt.timedelta(days=rng.randrange(0, 40))
        end = start + dt.timedelta(days=rng.randrange(-30, 60))
        n = rng.randrange(0, 30)
        lo, hi = min(start, end), max(start, end)
        by_day = sum(CAL.is_working_day(lo + dt.timedelta(days=i)) for i in range(1, (hi - lo).days + 1))
        assert CAL.working_days_between(start, end) == (by_day if end >= start else -by_day)
        day, left = start, n
        while left:
            day += dt.timedelta(days=1)
            left -= CAL.is_working_day(day)
        assert CAL.add_working_days(start, n) == day

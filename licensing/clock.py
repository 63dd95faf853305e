"""The statutory clock (docs/architecture.md#clock) on the official Chinese working-day calendar.

Pure functions over a ``WorkingCalendar``: no queries here except ``calendar()``, which
loads the staff's overrides once and caches them until they change. The UI, the API, the
alerts and the analytics all go through ``compute`` (``licensing.selectors.application_clock``
builds its ``ClockInput`` from an application's timeline), so one rule computes every due date.
"""

from __future__ import annotations

import datetime as dt
import threading
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

_FIRST_YEAR = 2015
_LAST_YEAR = 2040
# The days the calendar counts in O(1) (a running count of working days); outside them, day by
# day. Wider than the holiday years: a due date or a backlog can lie beyond them.
_COUNTED_FROM = dt.date(2000, 1, 1)
_COUNTED_UNTIL = dt.date(2060, 12, 31)


class WorkingCalendar:
    """China's working days: weekdays that are not public holidays, plus make-up days (调休).

    Staff overrides win over the ``holidays`` package. A year is *official* when the package
    knows its make-up days (it only has them once the State Council has published the
    schedule) or when staff marked it published; dates in other years are *estimated*.
    """

    def __init__(
        self,
        days_off: Iterable[dt.date] = (),
        working_days: Iterable[dt.date] = (),
        published_years: Iterable[int] = (),
    ) -> None:
        package = holidays.China(years=range(_FIRST_YEAR, _LAST_YEAR + 1))
        self._holidays = frozenset(package.keys())
        self._makeup = frozenset(package.weekend_workdays)
        self._days_off = frozenset(days_off)
        self._working = frozenset(working_days)
        self.official_years = frozenset({d.year for d in self._makeup} | set(published_years))
        self._cache: dict[dt.date, bool] = {}
        self._count: list[int] | None = None

    def is_working_day(self, day: dt.date) -> bool:
        try:
            return self._cache[day]
        except KeyError:
            pass
        if day in self._working:
            working = True
        elif day in self._days_off:
            working = False
        elif day in self._makeup:
            working = True
        else:
            working = day.weekday() < 5 and day not in self._holidays
        self._cache[day] = working
        return working

    def is_estimated(self, day: dt.date) -> bool:
        return day.year not in self.official_years

    def _running_count(self) -> list[int]:
        """``count[i]``: working days D with _COUNTED_FROM < D <= _COUNTED_FROM + i days."""
        if self._count is None:
            count, n = [0], 0
            for i in range(1, (_COUNTED_UNTIL - _COUNTED_FROM).days + 1):
                n += self.is_working_day(_COUNTED_FROM + dt.timedelta(days=i))
                count.append(n)
            self._count = count
        return self._count

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start`` (``start`` itself not counted); n >= 0."""
        if n <= 0:
            return start
        if _COUNTED_FROM <= start <= _COUNTED_UNTIL:
            count = self._running_count()
            i = bisect_left(count, count[(start - _COUNTED_FROM).days] + n)
            if i < len(count):
                return _COUNTED_FROM + dt.timedelta(days=i)
        day = start
        while n > 0:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days D with start < D <= end (negative when end is before start)."""
        if end < start:
            return -self.working_days_between(end, start)
        if _COUNTED_FROM <= start and end <= _COUNTED_UNTIL:
            count = self._running_count()
            return count[(end - _COUNTED_FROM).days] - count[(start - _COUNTED_FROM).days]
        return sum(1 for i in range(1, (end - start).days + 1) if self.is_working_day(start + dt.timedelta(days=i)))


_lock = threading.Lock()
_cached: tuple[object, WorkingCalendar] | None = None


def calendar() -> WorkingCalendar:
    """The calendar with the staff's overrides, rebuilt only when the overrides change."""
    global _cached
    from .models import CalendarOverride, PublishedCalendarYear

    overrides = list(CalendarOverride.objects.values_list("date", "kind", "updated_at"))
    years = list(PublishedCalendarYear.objects.values_list("year", flat=True))
    key = (tuple(overrides), tuple(sorted(years)))
    with _lock:
        if _cached is None or _cached[0] != key:
            cal = WorkingCalendar(
                days_off=[d for d, kind, _ in overrides if kind == CalendarOverride.Kind.DAY_OFF],
                working_days=[d for d, kind, _ in overrides if kind == CalendarOverride.Kind.WORKING_DAY],
                published_years=years,
            )
            _cached = (key, cal)
        return _cached[1]


def today() -> dt.date:
    """Today in China, where MOFCOM's days are counted (``CLOCK_TIME_ZONE``)."""
    return dt.datetime.now(ZoneInfo(settings.CLOCK_TIME_ZONE)).date()


def review_period(kind: str) -> int:
    return settings.REVIEW_PERIOD_WORKING_DAYS[kind]


@dataclass(frozen=True)
class SupplementPeriod:
    """MOFCOM asked for more material on ``requested_on``; it was provided on ``provided_on``."""

    requested_on: dt.date
    provided_on: dt.date | None = None  # None: still open


@dataclass(frozen=True)
class Clock:
    decision_due: dt.date | None
    working_days_elapsed: int | None
    working_days_remaining: int | None
    overdue: bool
    estimated: bool
    paused: bool = False  # a supplement period is open (the due date moves out daily)
    exempt_reason: str = ""  # why there is no due date, when there is none
    supplement_days: int = 0  # working days not counted because of supplement periods


NO_CLOCK = Clock(None, None, None, False, False)


@dataclass(frozen=True)
class ClockInput:
    accepted_on: dt.date | None
    review_days: int = 45
    supplements: Sequence[SupplementPeriod] = field(default_factory=tuple)
    decided_on: dt.date | None = None
    exempt_reason: str = ""
    pauses_for_supplement: bool = True


def compute(inp: ClockInput, *, today: dt.date, cal: WorkingCalendar) -> Clock:
    """The clock exactly as docs/architecture.md#clock defines it.

    With acceptance date A, the counted days are the working days D > A except those with
    R < D <= P for a supplement period (R, P); an open period's P is today (or the decision
    date). ``decision_due`` is the review_days-th counted day; ``working_days_elapsed`` the
    counted days up to today or the decision date.
    """
    if inp.exempt_reason:
        return Clock(None, None, None, False, False, exempt_reason=inp.exempt_reason)
    if inp.accepted_on is None:
        return NO_CLOCK
    end = inp.decided_on or today
    start = inp.accepted_on
    # The supplement periods as disjoint, ordered intervals (R, P] after acceptance: the
    # working days in them are not counted.
    pauses: list[tuple[dt.date, dt.date]] = []
    if inp.pauses_for_supplement:
        periods = sorted((max(p.requested_on, start), p.provided_on or end) for p in inp.supplements)
        for r, p in periods:
            if p <= r:
                continue
            if pauses and r <= pauses[-1][1]:
                pauses[-1] = (pauses[-1][0], max(pauses[-1][1], p))
            else:
                pauses.append((r, p))

    def counted_between(a: dt.date, b: dt.date) -> int:
        """Counted days D with a < D <= b."""
        if b <= a:
            return 0
        n = cal.working_days_between(a, b)
        for r, p in pauses:
            lo, hi = max(r, a), min(p, b)
            if lo < hi:
                n -= cal.working_days_between(lo, hi)
        return n

    # The due date: the review_days-th counted day, the pauses stepped over in order.
    due, left, after = start, inp.review_days, start
    for r, p in pauses:
        available = counted_between(after, r)
        if left <= available:
            break
        left -= available
        after = max(after, p)
    if left > 0:
        due = cal.add_working_days(after, left)
    elapsed = counted_between(start, end)
    skipped = cal.working_days_between(start, end) - elapsed if end > start else 0
    paused = (
        inp.pauses_for_supplement and inp.decided_on is None and any(p.provided_on is None for p in inp.supplements)
    )
    estimated = any(cal.is_estimated(dt.date(y, 1, 1)) for y in range(inp.accepted_on.year, due.year + 1))
    return Clock(
        decision_due=due,
        working_days_elapsed=elapsed,
        working_days_remaining=inp.review_days - elapsed,
        overdue=inp.decided_on is None and today > due,
        estimated=estimated,
        paused=paused,
        supplement_days=skipped,
    )

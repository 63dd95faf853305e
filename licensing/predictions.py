"""Predicted decision dates for open applications (docs/analytics.md).

The prediction is the empirical distribution of ``decision_working_days`` (counted working
days from acceptance to decision) of *similar* applications:

1. ``supplier+element``: same supplier, sharing at least one element with the application's
   lines, when at least ``settings.PREDICTION_MIN_SAMPLE`` of them are decided;
2. else ``element``: any supplier, sharing at least one element;
3. else ``all``: every application;
4. else no prediction (level ``""``): fewer than the minimum have ever been decided.

An application with no lines (so no elements) goes straight to ``all``.

*Pending applications count, as censored observations.* Decided history alone is biased
short: of the applications accepted in the last months, only the quick ones are decided yet.
So the distribution is the Kaplan-Meier estimate over the decided applications *and* the
accepted, still open ones (each known to take at least the counted days it has run); without
pending ones it is exactly the plain empirical distribution. The backtest measured the
difference (docs/analytics.md). When so much of a level is still pending that its p90 cannot
be estimated yet, the level does not qualify and the next, wider one is used (and after
``all``, no prediction: level ``""``, with the number decided as the sample size).

*Conditioning on the time already spent.* An application that has run ``e`` counted working
days without a decision can only be decided on day ``e`` or later, so each level's sample
keeps only the observations ``>= e`` (the conditional distribution given survival to
``e``). Without this an old application would get a "predicted" date in the past. At
acceptance ``e`` is 0 and the sample is the whole level.

The p50 and p90 are ``percentile_cont`` quantiles (linear interpolation, the same as the
analytics; ``km_quantile`` generalises it to censored data), rounded *up* to whole working
days (a decision lands on a day; rounding up never predicts earlier than the distribution
says). The dates are the acceptance date plus that many working days on the Chinese
calendar, plus the working days already spent in supplement periods (which do not count,
docs/architecture.md#clock), and never before today.

*Not yet accepted* (draft, documents pending, submitted): the acceptance date is assumed to be
the filing date (today if not filed yet) plus the median calendar days from filing to
acceptance over all applications that have both dates (``DEFAULT_SUBMISSION_TO_ACCEPTANCE_DAYS``
without such history), but never before today, moved to the next working day.

Applications exempt from the statutory limit (Watch List, State Council) get no prediction:
the decided history has no counted days for such cases, so nothing similar is known.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from . import clock
from .analytics import DECISIONS, DaysBetween, PercentileCont
from .models import ApplicationLine, LicenceApplication
from .models.applications import OPEN_STATUSES
from .selectors import application_clock

LEVEL_SUPPLIER_ELEMENT = "supplier+element"
LEVEL_ELEMENT = "element"
LEVEL_ALL = "all"
LEVEL_NONE = ""

# Calendar days from filing to acceptance assumed when no application has both dates yet.
DEFAULT_SUBMISSION_TO_ACCEPTANCE_DAYS = 10

PREDICTION_FIELDS = ["predicted_decision_p50", "predicted_decision_p90", "prediction_sample_size", "prediction_level"]


@dataclass(frozen=True)
class Decided:
    """One decided application as the predictor sees it."""

    application_id: int
    supplier_id: int
    elements: frozenset[str]
    working_days: int
    accepted_on: dt.date
    decided_on: dt.date


@dataclass(frozen=True)
class Prediction:
    """Working days from acceptance (counted days) to the p50 and p90 decision."""

    p50_days: int | None
    p90_days: int | None
    sample_size: int
    level: str


def _whole_days(value: float) -> int:
    # round() first so that 25.000000000004 from float interpolation stays 25.
    return math.ceil(round(value, 6))


def km_quantile(observations: Iterable[tuple[int, bool]], q: float) -> float | None:
    """The q-quantile of (value, decided) observations: Kaplan-Meier with interpolation.

    Undecided observations are right-censored at their value (the counted days spent so far).
    Their weight goes, in equal shares, to every observation above them (Efron's
    "redistribute to the right", which is exactly the Kaplan-Meier estimator; at a tie the
    decided ones come first). The decided values then carry masses m_i; the quantile
    interpolates linearly between them at positions p_i = (mass below i) / (1 - m_last).
    With no censored observation every mass is 1/n, p_i = i / (n - 1): exactly
    ``percentile_cont``. Mass still pending above the largest decided value makes the upper
    quantiles unknown: then None (the caller falls back to a wider level).
    """
    obs = sorted(observations, key=lambda o: (o[0], not o[1]))
    n = len(obs)
    weight = 1.0 / n if n else 0.0
    points: list[tuple[int, float]] = []
    unresolved = 0.0  # the weight of censored observations with nothing above them
    for i, (value, decided) in enumerate(obs):
        if decided:
            points.append((value, weight))
        elif n - i - 1:
            weight += weight / (n - i - 1)  # every observation above has the same weight
        else:
            unresolved += weight
    if not points:
        return None
    span = sum(m for _, m in points) + unresolved - points[-1][1]
    below = 0.0
    previous: tuple[float, int] | None = None
    for value, mass in points:
        position = below / span if span > 0 else 1.0
        if q <= position + 1e-12:
            if previous is None or position <= previous[0]:
                return float(value)
            p0, v0 = previous
            return v0 + (q - p0) / (position - p0) * (value - v0)
        previous = (position, value)
        below += mass
    return None if unresolved > 1e-12 else float(points[-1][0])


@dataclass(frozen=True)
class Pending:
    """An accepted, undecided application: censored at the counted days it has run."""

    application_id: int
    supplier_id: int
    elements: frozenset[str]
    elapsed: int


class DecisionHistory:
    """Decided (and pending) delays indexed by supplier and element: a few lookups a prediction."""

    def __init__(self, records: Iterable[Decided] = (), pending: Iterable[Pending] = ()) -> None:
        # application id -> (counted working days, decided?)
        self._all: dict[int, tuple[int, bool]] = {}
        self._by_element: defaultdict[str, dict[int, tuple[int, bool]]] = defaultdict(dict)
        self._by_supplier_element: defaultdict[tuple[int, str], dict[int, tuple[int, bool]]] = defaultdict(dict)
        # Many open applications share supplier, elements and elapsed days: predict each once.
        self._cache: dict[tuple, Prediction] = {}
        for record in records:
            self.add(record)
        for record in pending:
            self.add_pending(record)

    def __len__(self) -> int:
        return len(self._all)

    def _put(self, application_id: int, supplier_id: int, elements: Iterable[str], obs: tuple[int, bool]) -> None:
        self._cache.clear()
        self._all[application_id] = obs
        for element in elements:
            self._by_element[element][application_id] = obs
            self._by_supplier_element[(supplier_id, element)][application_id] = obs

    def add(self, record: Decided) -> None:
        self._put(record.application_id, record.supplier_id, record.elements, (record.working_days, True))

    def add_pending(self, record: Pending) -> None:
        self._put(record.application_id, record.supplier_id, record.elements, (record.elapsed, False))

    def _merged(self, index: dict, keys: Iterable) -> list[tuple[int, bool]]:
        # An application sharing two elements with the query is one observation, not two.
        merged: dict[int, tuple[int, bool]] = {}
        for key in keys:
            merged.update(index.get(key, {}))
        return list(merged.values())

    def predict(
        self, *, supplier_id: int | None, elements: Iterable[str], elapsed: int = 0, min_sample: int | None = None
    ) -> Prediction:
        """The p50/p90 in counted working days from the first level with enough decisions.

        A level qualifies when at least ``min_sample`` decided applications in it took
        ``elapsed`` counted days or more; pending ones at or above ``elapsed`` take part as
        censored observations (see ``km_quantile``). ``sample_size`` counts the decided ones.
        """
        min_sample = settings.PREDICTION_MIN_SAMPLE if min_sample is None else min_sample
        elements = sorted(set(elements))
        key = (supplier_id, tuple(elements), elapsed, min_sample)
        if key not in self._cache:
            self._cache[key] = self._predict(supplier_id, elements, elapsed, min_sample)
        return self._cache[key]

    def _predict(self, supplier_id: int | None, elements: list[str], elapsed: int, min_sample: int) -> Prediction:
        levels: list[tuple[str, list[tuple[int, bool]]]] = []
        if elements:
            if supplier_id is not None:
                keys = [(supplier_id, e) for e in elements]
                levels.append((LEVEL_SUPPLIER_ELEMENT, self._merged(self._by_supplier_element, keys)))
            levels.append((LEVEL_ELEMENT, self._merged(self._by_element, elements)))
        levels.append((LEVEL_ALL, list(self._all.values())))
        decided = 0
        for level, observations in levels:
            sample = [o for o in observations if o[0] >= elapsed]
            decided = sum(1 for _, is_decided in sample if is_decided)
            if decided >= max(min_sample, 1):
                p50, p90 = km_quantile(sample, 0.5), km_quantile(sample, 0.9)
                if p90 is not None:  # else too much of the level is still pending: go wider
                    return Prediction(_whole_days(p50), _whole_days(p90), decided, level)
        return Prediction(None, None, decided, LEVEL_NONE)


def decided_history(applications: QuerySet[LicenceApplication] | None = None) -> list[Decided]:
    """The decided applications with counted days, with their elements: two queries."""
    qs = applications if applications is not None else LicenceApplication.objects.all()
    qs = qs.filter(status__in=DECISIONS, decision_working_days__isnull=False, accepted_on__isnull=False).order_by()
    rows = list(qs.values_list("pk", "supplier_id", "decision_working_days", "accepted_on", "decided_on"))
    elements: defaultdict[int, set[str]] = defaultdict(set)
    lines = ApplicationLine.objects.filter(application__in=qs.values("pk"))
    lines = lines.values_list("application_id", "item__elements")
    for application_id, symbols in lines:
        elements[application_id].update((symbols or "").split())
    return [
        Decided(pk, supplier_id, frozenset(elements[pk]), wd, accepted, decided)
        for pk, supplier_id, wd, accepted, decided in rows
    ]


def typical_submission_to_acceptance_days() -> int:
    """Median calendar days from filing to acceptance over all applications (one query)."""
    median = (
        LicenceApplication.objects.filter(submitted_on__isnull=False, accepted_on__isnull=False)
        .order_by()
        .aggregate(m=PercentileCont(DaysBetween("submitted_on", "accepted_on"), 0.5))["m"]
    )
    return DEFAULT_SUBMISSION_TO_ACCEPTANCE_DAYS if median is None else max(0, _whole_days(median))


@dataclass
class Predictor:
    """Everything a batch of predictions needs, loaded once."""

    history: DecisionHistory
    cal: clock.WorkingCalendar
    today: dt.date
    submission_to_acceptance_days: int
    min_sample: int

    @classmethod
    def load(cls, *, today: dt.date | None = None, pending: Iterable[Pending] | None = None) -> Predictor:
        """Load the history once; ``pending`` defaults to every accepted open application."""
        today = today or clock.today()
        cal = clock.calendar()
        if pending is None:
            pending = pending_applications(open_applications(), today=today, cal=cal)[0]
        return cls(
            history=DecisionHistory(decided_history(), pending),
            cal=cal,
            today=today,
            submission_to_acceptance_days=typical_submission_to_acceptance_days(),
            min_sample=settings.PREDICTION_MIN_SAMPLE,
        )

    def assumed_acceptance(self, submitted_on: dt.date | None) -> dt.date:
        day = (submitted_on or self.today) + dt.timedelta(days=self.submission_to_acceptance_days)
        day = max(day, self.today)
        while not self.cal.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def dates(
        self, *, supplier_id: int | None, elements: Iterable[str], accepted_on: dt.date, elapsed: int = 0,
        supplement_days: int = 0,
    ) -> tuple[dt.date | None, dt.date | None, Prediction]:
        """The p50 and p90 dates (never before today) and the prediction they came from."""
        p = self.history.predict(
            supplier_id=supplier_id, elements=elements, elapsed=elapsed, min_sample=self.min_sample
        )
        if p.p50_days is None:
            return None, None, p
        p50 = self.cal.add_working_days(accepted_on, p.p50_days + supplement_days)
        p90 = self.cal.add_working_days(accepted_on, p.p90_days + supplement_days)
        return max(p50, self.today), max(p90, self.today), p

    def for_application(
        self, application: LicenceApplication, c: clock.Clock | None = None
    ) -> tuple[dt.date | None, dt.date | None, Prediction]:
        """Uses the prefetched ``lines__item`` and ``events`` of an open application (or its
        clock ``c`` when already computed)."""
        elements = _elements(application)
        if application.time_limit_exemption:
            return None, None, Prediction(None, None, 0, LEVEL_NONE)
        if application.accepted_on is None:
            return self.dates(
                supplier_id=application.supplier_id, elements=elements,
                accepted_on=self.assumed_acceptance(application.submitted_on),
            )
        c = c or application_clock(application, today=self.today, cal=self.cal, events=application.events.all())
        return self.dates(
            supplier_id=application.supplier_id, elements=elements, accepted_on=application.accepted_on,
            elapsed=c.working_days_elapsed or 0, supplement_days=c.supplement_days,
        )


def _elements(application: LicenceApplication) -> set[str]:
    return {e for line in application.lines.all() for e in line.item.element_list}


def open_applications(queryset: QuerySet[LicenceApplication] | None = None) -> list[LicenceApplication]:
    """Open applications with what a prediction reads: four queries."""
    qs = queryset if queryset is not None else LicenceApplication.objects.all()
    return list(qs.filter(status__in=OPEN_STATUSES).order_by().prefetch_related("lines__item", "events"))


def pending_applications(
    applications: Iterable[LicenceApplication], *, today: dt.date, cal: clock.WorkingCalendar
) -> tuple[list[Pending], dict[int, clock.Clock]]:
    """The accepted, undecided, non-exempt ones as censored observations, and their clocks."""
    pending, clocks = [], {}
    for application in applications:
        if application.accepted_on is None or application.time_limit_exemption:
            continue
        c = application_clock(application, today=today, cal=cal, events=application.events.all())
        clocks[application.pk] = c
        elapsed = c.working_days_elapsed or 0
        pending.append(Pending(application.pk, application.supplier_id, frozenset(_elements(application)), elapsed))
    return pending, clocks


def predictions_refresh(queryset: QuerySet[LicenceApplication] | None = None, *, today: dt.date | None = None) -> int:
    """Recompute and store the predicted decision of open applications; returns how many changed.

    Set-based: the decided history is loaded once (two queries), the open applications with
    their lines and timelines in four (they are also the censored observations, whichever
    subset ``queryset`` asks to refresh), and the results written with ``bulk_update`` in one
    transaction, so the number of queries does not grow with the number of applications
    (beyond one UPDATE per 500 rows). Decided applications keep their last prediction, which
    is what lets anyone compare predictions with outcomes later.
    """
    today = today or clock.today()
    everything = open_applications()
    pending, clocks = pending_applications(everything, today=today, cal=clock.calendar())
    predictor = Predictor.load(today=today, pending=pending)
    targets = everything if queryset is None else open_applications(queryset)
    changed = []
    for application in targets:
        p50, p90, p = predictor.for_application(application, clocks.get(application.pk))
        values = {
            "predicted_decision_p50": p50,
            "predicted_decision_p90": p90,
            "prediction_sample_size": p.sample_size,
            "prediction_level": p.level,
        }
        if any(getattr(application, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(application, name, value)
            changed.append(application)
    with transaction.atomic():
        LicenceApplication.objects.bulk_update(changed, PREDICTION_FIELDS, batch_size=500)
    return len(changed)


# --- Backtest -------------------------------------------------------------------------------


@dataclass
class BacktestTally:
    predicted: int = 0
    within_p50: int = 0
    within_p90: int = 0
    abs_error: int = 0  # sum of |actual - p50| in working days
    signed_error: int = 0  # sum of actual - p50: > 0 means decisions came later than the p50

    def add(self, actual: int, p: Prediction) -> None:
        self.predicted += 1
        self.within_p50 += actual <= p.p50_days
        self.within_p90 += actual <= p.p90_days
        self.abs_error += abs(actual - p.p50_days)
        self.signed_error += actual - p.p50_days


@dataclass
class BacktestResult:
    replayed: int = 0
    no_prediction: int = 0
    overall: BacktestTally = None  # type: ignore[assignment]
    by_level: dict[str, BacktestTally] = None  # type: ignore[assignment]
    by_year: dict[int, BacktestTally] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.overall = self.overall or BacktestTally()
        self.by_level = self.by_level or {}
        self.by_year = self.by_year or {}


@dataclass(frozen=True)
class Undecided:
    """An accepted application with no decision yet, for the replay."""

    application_id: int
    supplier_id: int
    elements: frozenset[str]
    accepted_on: dt.date


def undecided_history() -> list[Undecided]:
    """Accepted, open, non-exempt applications with their elements: two queries."""
    qs = LicenceApplication.objects.filter(
        status__in=OPEN_STATUSES, accepted_on__isnull=False, time_limit_exemption=""
    ).order_by()
    rows = list(qs.values_list("pk", "supplier_id", "accepted_on"))
    elements: defaultdict[int, set[str]] = defaultdict(set)
    for application_id, symbols in ApplicationLine.objects.filter(application__in=qs.values("pk")).values_list(
        "application_id", "item__elements"
    ):
        elements[application_id].update((symbols or "").split())
    return [Undecided(pk, supplier_id, frozenset(elements[pk]), accepted) for pk, supplier_id, accepted in rows]


def _working_day_index(cal: clock.WorkingCalendar, start: dt.date, end: dt.date) -> dict[dt.date, int]:
    """Working days from ``start`` (exclusive) to each date: differences count days in between."""
    index, n, day = {}, 0, start
    while day <= end:
        n += cal.is_working_day(day) and day != start
        index[day] = n
        day += dt.timedelta(days=1)
    return index


def backtest(
    records: Iterable[Decided],
    *,
    undecided: Iterable[Undecided] = (),
    min_sample: int | None = None,
    censoring: bool = True,
    cal: clock.WorkingCalendar | None = None,
) -> BacktestResult:
    """Replay decided applications in order of acceptance, each predicted at its acceptance
    from only what was known that morning (no look-ahead), and tally how often the real
    counted days were at most the p50 and the p90.

    Known that morning: the applications decided before that day, and (with ``censoring``,
    as ``predictions_refresh`` does) those accepted before it and not yet decided, censored at
    the working days they had run. For the replay those are counted without supplement
    pauses (the timeline is not replayed) and capped at the days the decision finally took.
    """
    records = list(records)
    undecided = list(undecided)
    result = BacktestResult()
    if not records:
        return result
    cal = cal or clock.calendar()
    first = min(r.accepted_on for r in [*records, *undecided]) - dt.timedelta(days=1)
    last = max(r.decided_on for r in records)
    index = _working_day_index(cal, first, last)
    history, history_day = DecisionHistory(), None
    for record in sorted(records, key=lambda r: (r.accepted_on, r.application_id)):
        day = record.accepted_on
        if day != history_day:  # what was known on the morning of ``day``
            history, history_day = DecisionHistory(), day
            before = index[day - dt.timedelta(days=1)]
            for other in records:
                if other.decided_on < day:
                    history.add(other)
                elif censoring and other.accepted_on < day:
                    elapsed = min(before - index[other.accepted_on], other.working_days)
                    history.add_pending(Pending(other.application_id, other.supplier_id, other.elements, elapsed))
            for other in undecided if censoring else ():
                if other.accepted_on < day:
                    elapsed = before - index[other.accepted_on]
                    history.add_pending(Pending(other.application_id, other.supplier_id, other.elements, elapsed))
        result.replayed += 1
        p = history.predict(supplier_id=record.supplier_id, elements=record.elements, min_sample=min_sample)
        if p.p50_days is None:
            result.no_prediction += 1
            continue
        for tally in (
            result.overall,
            result.by_level.setdefault(p.level, BacktestTally()),
            result.by_year.setdefault(record.accepted_on.year, BacktestTally()),
        ):
            tally.add(record.working_days, p)
    return result

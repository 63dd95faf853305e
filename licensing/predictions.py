"""Predicted decision dates for open applications (DESIGN §4.3).

The prediction is the empirical distribution of ``decision_working_days`` of *similar*
decided applications (those with a statutory clock: approved or rejected after acceptance):

1. ``supplier+element``: same supplier, sharing at least one element with the application's
   lines, when there are at least ``settings.PREDICTION_MIN_SAMPLE`` of them;
2. else ``element``: any supplier, sharing at least one element;
3. else ``all``: every decided application;
4. else no prediction (level ``""``): fewer than the minimum have ever been decided.

An application with no lines (so no elements) goes straight to ``all``.

*Conditioning on the time already spent.* An application that has run ``e`` counted working
days without a decision can only be decided on day ``e`` or later, so each level's sample
keeps only the decided delays ``>= e`` (the conditional distribution given survival to
``e``), and the fall-back applies to that conditioned sample. Without this an old
application would get a "predicted" date in the past. At acceptance ``e`` is 0 and the
sample is the whole level.

The p50 and p90 are ``percentile_cont`` quantiles (linear interpolation, the same as the
analytics), rounded *up* to whole working days (a decision lands on a day; rounding up
never predicts earlier than the distribution says). The dates are the acceptance date plus
that many working days on the Chinese calendar, plus the working days already spent in
supplement periods (which do not count, DESIGN §4.2), and never before today.

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
from .analytics import DECISIONS, DaysBetween, PercentileCont, quantile
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


class DecisionHistory:
    """Decided delays indexed by supplier and element, so each prediction is a few lookups."""

    def __init__(self, records: Iterable[Decided] = ()) -> None:
        self._all: dict[int, int] = {}
        self._by_element: defaultdict[str, dict[int, int]] = defaultdict(dict)
        self._by_supplier_element: defaultdict[tuple[int, str], dict[int, int]] = defaultdict(dict)
        for record in records:
            self.add(record)

    def __len__(self) -> int:
        return len(self._all)

    def add(self, record: Decided) -> None:
        self._all[record.application_id] = record.working_days
        for element in record.elements:
            self._by_element[element][record.application_id] = record.working_days
            self._by_supplier_element[(record.supplier_id, element)][record.application_id] = record.working_days

    def _merged(self, index: dict, keys: Iterable) -> list[int]:
        # An application sharing two elements with the query is one observation, not two.
        merged: dict[int, int] = {}
        for key in keys:
            merged.update(index.get(key, {}))
        return list(merged.values())

    def predict(
        self, *, supplier_id: int | None, elements: Iterable[str], elapsed: int = 0, min_sample: int | None = None
    ) -> Prediction:
        """The p50/p90 in counted working days from the first level with enough history."""
        min_sample = settings.PREDICTION_MIN_SAMPLE if min_sample is None else min_sample
        elements = sorted(set(elements))
        levels: list[tuple[str, list[int]]] = []
        if elements:
            if supplier_id is not None:
                keys = [(supplier_id, e) for e in elements]
                levels.append((LEVEL_SUPPLIER_ELEMENT, self._merged(self._by_supplier_element, keys)))
            levels.append((LEVEL_ELEMENT, self._merged(self._by_element, elements)))
        levels.append((LEVEL_ALL, list(self._all.values())))
        sample: list[int] = []
        for level, values in levels:
            sample = [v for v in values if v >= elapsed]
            if len(sample) >= max(min_sample, 1):
                return Prediction(
                    _whole_days(quantile(sample, 0.5)), _whole_days(quantile(sample, 0.9)), len(sample), level
                )
        return Prediction(None, None, len(sample), LEVEL_NONE)


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
    def load(cls, *, today: dt.date | None = None) -> Predictor:
        return cls(
            history=DecisionHistory(decided_history()),
            cal=clock.calendar(),
            today=today or clock.today(),
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

    def for_application(self, application: LicenceApplication) -> tuple[dt.date | None, dt.date | None, Prediction]:
        """Uses the prefetched ``lines__item`` and ``events`` of an open application."""
        elements = {e for line in application.lines.all() for e in line.item.element_list}
        if application.time_limit_exemption:
            return None, None, Prediction(None, None, 0, LEVEL_NONE)
        if application.accepted_on is None:
            return self.dates(
                supplier_id=application.supplier_id, elements=elements,
                accepted_on=self.assumed_acceptance(application.submitted_on),
            )
        c = application_clock(application, today=self.today, cal=self.cal, events=application.events.all())
        return self.dates(
            supplier_id=application.supplier_id, elements=elements, accepted_on=application.accepted_on,
            elapsed=c.working_days_elapsed or 0, supplement_days=c.supplement_days,
        )


def predictions_refresh(queryset: QuerySet[LicenceApplication] | None = None, *, today: dt.date | None = None) -> int:
    """Recompute and store the predicted decision of open applications; returns how many.

    Set-based: the decided history is loaded once (two queries), the open applications with
    their lines and timelines in four, and the results written with ``bulk_update`` in one
    transaction, so the number of queries does not grow with the number of applications
    (beyond one UPDATE per 500 rows). Decided applications keep their last prediction, which
    is what lets anyone compare predictions with outcomes later.
    """
    predictor = Predictor.load(today=today)
    qs = queryset if queryset is not None else LicenceApplication.objects.all()
    qs = qs.filter(status__in=OPEN_STATUSES).order_by().prefetch_related("lines__item", "events")
    changed = []
    for application in qs:
        p50, p90, p = predictor.for_application(application)
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


def backtest(records: Iterable[Decided], *, min_sample: int | None = None) -> BacktestResult:
    """Replay decided applications in order of acceptance, each predicted at its acceptance
    from only the applications decided strictly before that day (no look-ahead), and tally
    how often the real counted days were at most the p50 and the p90."""
    records = list(records)
    by_acceptance = sorted(records, key=lambda r: (r.accepted_on, r.application_id))
    by_decision = sorted(records, key=lambda r: (r.decided_on, r.application_id))
    history = DecisionHistory()
    result = BacktestResult()
    known = 0
    for record in by_acceptance:
        while known < len(by_decision) and by_decision[known].decided_on < record.accepted_on:
            history.add(by_decision[known])
            known += 1
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

"""Delay analytics (docs/analytics.md): how long MOFCOM took from acceptance to decision.

Everything here is a read (a selector). ``delay_stats`` aggregates in the database, one
query per grouping, whatever the number of applications.

Definitions, stated once so the UI, the API and the docs say the same thing:

- *Population*: applications decided after acceptance, i.e. status ``approved`` or
  ``rejected`` with both ``accepted_on`` and ``decided_on``. A file MOFCOM declined to accept
  (``submitted -> rejected``) has no clock and is not in the delay figures. Each group also
  reports ``pending``: accepted applications not decided yet. A recent month's figures cover
  only its quick decisions so far (right-censoring): read them with its pending count.
- *Working days*: ``decision_working_days``, stored by the clock when the decision lands
  (counted days of docs/architecture.md#clock: Chinese working days after acceptance, supplement pauses
  excluded). Applications exempt from the statutory limit have none; they count in
  ``count``, the approval rate and the calendar-day figures but not in the working-day ones.
- *Calendar days*: ``decided_on - accepted_on``.
- *Quantiles*: linear interpolation between order statistics, exactly PostgreSQL's
  ``percentile_cont``: for n sorted values x[0..n-1] and fraction q, h = (n - 1) q and the
  quantile is x[floor h] + (h - floor h) (x[ceil h] - x[floor h]). The median of 10, 20, 30, 40
  is 25; its p90 is 37.
- *Within the statutory period*: ``decision_working_days <= REVIEW_PERIOD_WORKING_DAYS[kind]``;
  the share is over the applications that have working days.
- *Element grouping*: an application counts once for each distinct rare-earth element of its
  lines' items (a "Nd Pr Dy" magnet line counts for Nd, Pr and Dy; two Dy lines count once
  for Dy). Group totals therefore add up to more than the number of applications.
- *Month / quarter*: of acceptance.

On SQLite, which has no ``percentile_cont``, ``PercentileCont`` registers an aggregate
function of the same definition on the connection (as Django itself does for ``STDDEV_POP``
and friends), so the same ORM query runs on both databases: one query per grouping, the
quantile computed inside the database's GROUP BY, never by a loop of ours over rows.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import uuid
from collections.abc import Sequence
from functools import reduce
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, F, FloatField, IntegerField, OuterRef, Q, QuerySet, Value
from django.db.models.aggregates import Aggregate
from django.db.models.expressions import Func
from django.db.models.functions import Concat, TruncMonth, TruncQuarter

from .models import ApplicationLine, ApplicationStatus, LicenceApplication
from .models.applications import CLOCK_STATUSES

S = ApplicationStatus
DECISIONS = (S.APPROVED, S.REJECTED)
GROUPINGS = ("supplier", "element", "month", "quarter", "all")
QUANTILES = {"median": 0.5, "p75": 0.75, "p90": 0.9}

# The rare earths (the 17 elements). Element grouping reports these; an item's other
# symbols, if a user typed any, are not grouped on (one query needs a fixed list).
RARE_EARTHS = ("Sc", "Y", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu")


def quantile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile of ``values`` by linear interpolation (``percentile_cont``); None if empty."""
    if not values:
        return None
    xs = sorted(values)
    h = (len(xs) - 1) * q
    lo = math.floor(h)
    hi = math.ceil(h)
    return float(xs[lo] + (h - lo) * (xs[hi] - xs[lo]))


class _SQLitePercentile:
    """SQLite aggregate ``rt_percentile_cont(value, fraction)``; NULL values are ignored."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: float | None, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return quantile(self.values, self.fraction)


class PercentileCont(Aggregate):
    """``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``, with a SQLite twin."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must be between 0 and 1")
        self.fraction = fraction
        # A literal float we validated, so it can go into the SQL text (repr is exact).
        super().__init__(expression, fraction=repr(fraction), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        connection.ensure_connection()
        # Idempotent and cheap: a connection opened before this module was imported
        # learns the function the first time a query needs it.
        connection.connection.create_aggregate("rt_percentile_cont", 2, _SQLitePercentile)
        return super().as_sql(
            compiler,
            connection,
            function="rt_percentile_cont",
            template="%(function)s(%(expressions)s, " + repr(self.fraction) + ")",
            **extra_context,
        )


class DaysBetween(Func):
    """Whole calendar days from ``start`` to ``end`` (dates), as an integer."""

    output_field = IntegerField()
    arity = 2

    def _operands(self, compiler):
        start, end = self.get_source_expressions()
        start_sql, start_params = compiler.compile(start)
        end_sql, end_params = compiler.compile(end)
        return start_sql, end_sql, (*end_params, *start_params)

    def as_sqlite(self, compiler, connection, **extra_context):
        start_sql, end_sql, params = self._operands(compiler)
        return f"CAST(julianday({end_sql}) - julianday({start_sql}) AS INTEGER)", params

    def as_sql(self, compiler, connection, **extra_context):
        start_sql, end_sql, params = self._operands(compiler)
        # date - date is an integer number of days in PostgreSQL.
        return f"({end_sql} - {start_sql})", params


DECIDED = Q(status__in=DECISIONS)
PENDING = Q(status__in=CLOCK_STATUSES)


def analytics_population(applications: QuerySet[LicenceApplication] | None = None) -> QuerySet[LicenceApplication]:
    """Accepted applications that are decided or still pending, from any applications queryset.

    The caller's queryset is used as a ``pk__in`` subquery, so its joins (filters on lines)
    cannot duplicate rows and its ordering or annotations cannot disturb the GROUP BY.
    """
    base = LicenceApplication.objects.all()
    if applications is not None:
        base = base.filter(pk__in=applications.order_by().values("pk"))
    decided = DECIDED & Q(decided_on__isnull=False)
    return base.filter(decided | PENDING, accepted_on__isnull=False).order_by()


def _within_statutory() -> Q:
    """Decided within the review period of its own licence kind (a setting per kind)."""
    periods = settings.REVIEW_PERIOD_WORKING_DAYS.items()
    return reduce(operator.or_, (Q(kind=kind, decision_working_days__lte=days) for kind, days in periods))


def _aggregates() -> dict[str, Any]:
    calendar_days = DaysBetween("accepted_on", "decided_on")
    aggs: dict[str, Any] = {
        "count": Count("pk", filter=DECIDED),
        "approved": Count("pk", filter=Q(status=S.APPROVED)),
        "rejected": Count("pk", filter=Q(status=S.REJECTED)),
        "pending": Count("pk", filter=PENDING),
        "with_working_days": Count("pk", filter=DECIDED & Q(decision_working_days__isnull=False)),
        "within_statutory": Count("pk", filter=DECIDED & _within_statutory()),
    }
    # Pending applications have neither decision_working_days nor decided_on: both are NULL
    # for them, and percentile_cont (like its SQLite twin) ignores NULLs, so the quantiles
    # are over the decided ones without a FILTER clause.
    for name, q in QUANTILES.items():
        aggs[f"working_days_{name}"] = PercentileCont("decision_working_days", q)
        aggs[f"calendar_days_{name}"] = PercentileCont(calendar_days, q)
    return aggs


def _has_element(symbol: str) -> Exists:
    # Padding with spaces makes "Y" match the symbol Y but not the Y of "Yb".
    padded = Concat(Value(" "), F("item__elements"), Value(" "))
    lines = (
        ApplicationLine.objects.filter(application=OuterRef("pk"))
        .annotate(_padded=padded)
        .filter(_padded__contains=f" {symbol} ")
    )
    return Exists(lines)


def _grouped_rows(population: QuerySet[LicenceApplication], group_by: str) -> list[dict[str, Any]]:
    """One SQL query for the grouping; returns raw rows with ``key`` and ``label``."""
    aggs = _aggregates()
    if group_by == "supplier":
        qs = population.values(key=F("supplier_id"), label=F("supplier__name")).annotate(**aggs)
    elif group_by == "month":
        qs = population.annotate(key=TruncMonth("accepted_on")).values("key").annotate(**aggs)
    elif group_by == "quarter":
        qs = population.annotate(key=TruncQuarter("accepted_on")).values("key").annotate(**aggs)
    elif group_by == "all":
        return [{"key": "all", "label": "All", **population.aggregate(**aggs)}]
    else:  # element: a UNION ALL of one grouped part per element, run as one statement
        parts = [
            population.filter(_has_element(symbol))
            .annotate(key=Value(symbol))
            .values("key")
            .annotate(**aggs)
            .order_by()
            for symbol in RARE_EARTHS
        ]
        qs = parts[0].union(*parts[1:], all=True)
    return list(qs.order_by())


def _label(group_by: str, key: Any, label: Any) -> tuple[Any, str]:
    if group_by in ("month", "quarter"):
        day = key if isinstance(key, dt.date) else dt.date.fromisoformat(str(key)[:10])
        if group_by == "month":
            text = f"{day:%Y-%m}"
        else:
            text = f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        return text, text
    if group_by == "element":
        return key, key
    return key, label or str(key)


# The whole history's figures (the dashboard's charts) are cached: two percentile aggregates
# over every decided application were most of the dashboard's time (docs/benchmarks.md). The
# cache is dropped when a decision is recorded (``licensing.services.application_transition``,
# the one door for status changes, on commit) and when stored clocks are recomputed (a calendar
# change); DELAY_STATS_CACHE_SECONDS bounds anything else (a supplier renamed, or a per-process
# cache when no Redis is configured).
_CACHE_VERSION_KEY = "licensing:delay-stats:version"


def delay_stats_cached(*, group_by: str) -> list[dict[str, Any]]:
    """``delay_stats`` of every application, from the cache when a decision has not changed it."""
    version = cache.get(_CACHE_VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(_CACHE_VERSION_KEY, version, timeout=None)
        version = cache.get(_CACHE_VERSION_KEY, version)
    key = f"licensing:delay-stats:{version}:{group_by}"
    rows = cache.get(key)
    if rows is None:
        rows = delay_stats(group_by=group_by)
        cache.set(key, rows, timeout=settings.DELAY_STATS_CACHE_SECONDS)
    return rows


def delay_stats_invalidate() -> None:
    """Every cached ``delay_stats_cached`` result is stale from now on (one cache write)."""
    cache.set(_CACHE_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def delay_stats(applications: QuerySet[LicenceApplication] | None = None, *, group_by: str) -> list[dict[str, Any]]:
    """Acceptance-to-decision delays of decided applications, per group (see the module doc).

    ``applications`` is any queryset of applications (e.g. the filtered applications list);
    ``group_by`` is one of ``GROUPINGS``. Returns one dict per non-empty group, ordered by
    label (chronologically for months and quarters): ``key``, ``label``, ``count`` (decided),
    ``approved``, ``rejected``, ``approval_rate``, ``pending`` (accepted, undecided: a group
    with many is incomplete and its figures lean short), ``working_days_{median,p75,p90}``,
    ``calendar_days_{median,p75,p90}``, ``within_statutory`` and ``within_statutory_share``.
    Rates and shares are fractions in [0, 1], None when there is nothing to divide by.
    One query, whatever the grouping.
    """
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}")
    rows = _grouped_rows(analytics_population(applications), group_by)
    result = []
    for row in rows:
        if not row["count"] and not row["pending"]:
            continue
        key, label = _label(group_by, row.pop("key"), row.pop("label", None))
        with_wd = row.pop("with_working_days")
        result.append(
            {
                "key": key,
                "label": label,
                **row,
                "approval_rate": row["approved"] / row["count"] if row["count"] else None,
                "within_statutory_share": row["within_statutory"] / with_wd if with_wd else None,
            }
        )
    result.sort(key=lambda r: (str(r["label"]).casefold(), str(r["key"])))
    return result

"""delay_stats on a history small enough to work out by hand.

Quantiles are percentile_cont's linear interpolation: for n sorted values and fraction q,
h = (n - 1) q and the quantile is x[floor h] + (h - floor h)(x[ceil h] - x[floor h]).
"""

import datetime as dt

import pytest

from licensing.analytics import GROUPINGS, delay_stats, quantile
from licensing.models import ApplicationStatus, LicenceApplication
from tests.factories import ApplicationFactory

from .conftest import make_decided

S = ApplicationStatus
D = dt.date


@pytest.fixture
def history(items, suppliers):
    a, b = suppliers["a"], suppliers["b"]
    make_decided(supplier=a, items=[items["dy"]], accepted_on=D(2025, 6, 10), working_days=10, calendar_days=14)
    make_decided(
        supplier=a, items=[items["dy"], items["magnet"]], accepted_on=D(2025, 6, 20), working_days=20, calendar_days=28
    )
    make_decided(supplier=a, items=[items["tb"]], accepted_on=D(2025, 7, 5), working_days=30, calendar_days=42)
    make_decided(
        supplier=a, items=[items["magnet"]], accepted_on=D(2025, 8, 1), working_days=40, calendar_days=56,
        status=S.REJECTED,
    )
    make_decided(
        supplier=b, items=[items["y"]], accepted_on=D(2025, 10, 2), working_days=50, calendar_days=70,
        status=S.REJECTED,
    )
    make_decided(supplier=b, items=[items["yb"]], accepted_on=D(2025, 10, 20), working_days=44, calendar_days=60)
    # Pending: counted apart, in no figure. Not at all: withdrawn, and a file never accepted.
    ApplicationFactory(supplier=a, status=S.SUPPLEMENT_REQUESTED, accepted_on=D(2025, 9, 1))
    ApplicationFactory(supplier=a, status=S.WITHDRAWN, accepted_on=D(2025, 9, 1), closed_on=D(2025, 9, 9))
    ApplicationFactory(supplier=b, status=S.REJECTED, submitted_on=D(2025, 9, 1), decided_on=D(2025, 9, 5))


def by_key(rows):
    return {row["key"]: row for row in rows}


def test_quantile_is_linear_interpolation():
    assert quantile([40, 10, 30, 20], 0.5) == 25
    assert quantile([10, 20, 30, 40], 0.75) == pytest.approx(32.5)
    assert quantile([10, 20, 30, 40], 0.9) == pytest.approx(37)
    assert quantile([7], 0.9) == 7
    assert quantile([], 0.5) is None


def test_it_groups_by_supplier(history, suppliers):
    rows = delay_stats(group_by="supplier")
    assert [r["label"] for r in rows] == ["Alpha Rare Earth", "Beta Magnetics"]
    alpha, beta = rows
    assert alpha["key"] == suppliers["a"].pk
    assert (alpha["count"], alpha["approved"], alpha["rejected"], alpha["pending"]) == (4, 3, 1, 1)
    assert alpha["approval_rate"] == 0.75
    assert alpha["working_days_median"] == pytest.approx(25)
    assert alpha["working_days_p75"] == pytest.approx(32.5)
    assert alpha["working_days_p90"] == pytest.approx(37)
    assert alpha["calendar_days_median"] == pytest.approx(35)
    assert alpha["calendar_days_p75"] == pytest.approx(45.5)
    assert alpha["calendar_days_p90"] == pytest.approx(51.8)
    assert alpha["within_statutory_share"] == 1.0
    assert (beta["count"], beta["approved"], beta["approval_rate"], beta["pending"]) == (2, 1, 0.5, 0)
    assert beta["working_days_median"] == pytest.approx(47)
    assert beta["working_days_p75"] == pytest.approx(48.5)
    assert beta["working_days_p90"] == pytest.approx(49.4)
    assert beta["calendar_days_median"] == pytest.approx(65)
    # 44 is within the 45 working days, 50 is not.
    assert (beta["within_statutory"], beta["within_statutory_share"]) == (1, 0.5)


def test_it_counts_an_application_once_per_distinct_element(history):
    rows = by_key(delay_stats(group_by="element"))
    assert set(rows) == {"Dy", "Nd", "Pr", "Tb", "Y", "Yb"}
    # Dy: the Dy oxide (10), the one with a Dy line AND a Dy magnet line (20, once), the magnet (40).
    assert rows["Dy"]["count"] == 3
    assert rows["Dy"]["working_days_median"] == pytest.approx(20)
    assert rows["Dy"]["working_days_p75"] == pytest.approx(30)
    assert rows["Dy"]["working_days_p90"] == pytest.approx(36)
    assert rows["Nd"]["count"] == rows["Pr"]["count"] == 2
    assert rows["Nd"]["working_days_p90"] == pytest.approx(38)
    # "Y" is matched as a whole symbol: the Yb application is not an yttrium one.
    assert (rows["Y"]["count"], rows["Y"]["working_days_median"]) == (1, 50)
    assert (rows["Yb"]["count"], rows["Yb"]["working_days_median"]) == (1, 44)


def test_it_groups_by_month_and_quarter_of_acceptance(history):
    months = by_key(delay_stats(group_by="month"))
    assert list(months) == ["2025-06", "2025-07", "2025-08", "2025-09", "2025-10"]
    assert months["2025-06"]["count"] == 2
    # A month with only a pending application: no figures yet, and it says so.
    september = months["2025-09"]
    assert (september["count"], september["pending"], september["approval_rate"]) == (0, 1, None)
    assert september["working_days_median"] is None
    assert months["2025-06"]["working_days_median"] == pytest.approx(15)
    assert months["2025-10"]["working_days_median"] == pytest.approx(47)
    quarters = by_key(delay_stats(group_by="quarter"))
    assert list(quarters) == ["2025-Q2", "2025-Q3", "2025-Q4"]
    assert [q["count"] for q in quarters.values()] == [2, 2, 2]
    assert [q["pending"] for q in quarters.values()] == [0, 1, 0]
    assert quarters["2025-Q3"]["working_days_median"] == pytest.approx(35)


def test_all_in_one_group(history):
    (row,) = delay_stats(group_by="all")
    assert (row["count"], row["pending"]) == (6, 1)
    assert row["approval_rate"] == pytest.approx(4 / 6)
    assert row["working_days_median"] == pytest.approx(35)
    assert row["working_days_p90"] == pytest.approx(47)
    assert row["within_statutory_share"] == pytest.approx(5 / 6)


def test_it_takes_any_applications_queryset_without_double_counting(history, items):
    # A join on lines would repeat the application with two Dy lines; delay_stats must not.
    dy_apps = LicenceApplication.objects.filter(lines__item__elements__contains="Dy")
    (row,) = delay_stats(dy_apps, group_by="all")
    assert row["count"] == 3
    assert delay_stats(LicenceApplication.objects.none(), group_by="supplier") == []


def test_exempt_applications_have_no_working_days_but_count_otherwise(suppliers):
    a = suppliers["a"]
    make_decided(supplier=a, accepted_on=D(2025, 6, 2), working_days=20, calendar_days=30)
    make_decided(
        supplier=a, accepted_on=D(2025, 6, 3), working_days=None, calendar_days=100, time_limit_exemption="watch_list"
    )
    (row,) = delay_stats(group_by="all")
    assert row["count"] == 2
    assert row["working_days_median"] == 20  # the exempt one has no working days: ignored
    assert row["calendar_days_median"] == pytest.approx(65)
    assert row["within_statutory_share"] == 1.0


def test_review_period_is_per_licence_kind(suppliers, settings):
    settings.REVIEW_PERIOD_WORKING_DAYS = {"single": 45, "general": 30}
    a = suppliers["a"]
    make_decided(supplier=a, accepted_on=D(2025, 6, 2), working_days=40, kind="single")
    make_decided(supplier=a, accepted_on=D(2025, 6, 2), working_days=40, kind="general")
    (row,) = delay_stats(group_by="all")
    assert (row["within_statutory"], row["within_statutory_share"]) == (1, 0.5)


@pytest.mark.parametrize("group_by", GROUPINGS)
def test_one_query_per_grouping(history, group_by, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = delay_stats(group_by=group_by)
    assert sum(r["count"] for r in rows) >= 6


def test_a_bad_grouping_is_refused():
    with pytest.raises(ValueError, match="group_by"):
        delay_stats(group_by="colour")

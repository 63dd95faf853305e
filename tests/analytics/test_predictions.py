"""Predicted decisions: levels, minimum sample, conditioning, and dates across Chinese holidays."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from licensing import clock, services
from licensing.models import ApplicationStatus, LicenceApplication
from licensing.predictions import Decided, DecisionHistory, km_quantile, predictions_refresh
from tests.factories import ApplicationFactory, ApplicationLineFactory

from .conftest import make_decided

S = ApplicationStatus
D = dt.date
MARCH = dt.date(2025, 3, 3)
GOLDEN_WEEK_EVE = dt.date(2025, 9, 26)


def at(day: dt.date):
    """Travel to noon in China on ``day``."""
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 4, tzinfo=dt.UTC), tick=False)


def history_of(supplier, item, working_days, accepted_on=MARCH):
    for wd in working_days:
        make_decided(supplier=supplier, items=[item], accepted_on=accepted_on, working_days=wd)


def open_app(supplier, item, *, status=S.ACCEPTED, accepted_on=GOLDEN_WEEK_EVE, **extra):
    app = ApplicationFactory(supplier=supplier, status=status, accepted_on=accepted_on, **extra)
    if item is not None:
        ApplicationLineFactory(application=app, item=item)
    return app


def refreshed(app) -> LicenceApplication:
    return LicenceApplication.objects.get(pk=app.pk)


# --- The pure predictor -------------------------------------------------------------------


def rec(pk, supplier, elements, wd):
    return Decided(pk, supplier, frozenset(elements.split()), wd, D(2025, 1, 1), D(2025, 3, 1))


def test_it_prefers_supplier_and_element_then_element_then_all():
    h = DecisionHistory(
        [rec(1, 1, "Dy", 20), rec(2, 1, "Dy", 30), rec(3, 1, "Dy", 40), rec(4, 2, "Dy", 60), rec(5, 2, "Dy", 70),
         rec(6, 2, "Tb", 100)]
    )
    p = h.predict(supplier_id=1, elements=["Dy"], min_sample=3)
    # [20, 30, 40]: median 30; p90 at h = 1.8 -> 30 + 0.8 * 10 = 38.
    assert (p.level, p.sample_size, p.p50_days, p.p90_days) == ("supplier+element", 3, 30, 38)
    p = h.predict(supplier_id=2, elements=["Dy"], min_sample=3)
    # Supplier 2 has two Dy decisions: fall back to all five Dy ones [20, 30, 40, 60, 70].
    assert (p.level, p.sample_size, p.p50_days, p.p90_days) == ("element", 5, 40, 66)
    p = h.predict(supplier_id=1, elements=["Sm"], min_sample=3)
    assert (p.level, p.sample_size, p.p50_days) == ("all", 6, 50)
    p = h.predict(supplier_id=1, elements=[], min_sample=3)
    assert p.level == "all"


def test_the_minimum_sample_is_inclusive():
    h = DecisionHistory([rec(1, 1, "Dy", 10), rec(2, 1, "Dy", 20), rec(3, 2, "Dy", 30)])
    assert h.predict(supplier_id=1, elements=["Dy"], min_sample=2).level == "supplier+element"
    assert h.predict(supplier_id=1, elements=["Dy"], min_sample=3).level == "element"
    p = h.predict(supplier_id=1, elements=["Dy"], min_sample=4)
    assert (p.level, p.sample_size, p.p50_days, p.p90_days) == ("", 3, None, None)


def test_an_application_sharing_two_elements_is_one_observation():
    h = DecisionHistory([rec(1, 1, "Nd Pr Dy", 10), rec(2, 1, "Dy", 20)])
    p = h.predict(supplier_id=1, elements=["Nd", "Dy"], min_sample=2)
    assert (p.level, p.sample_size, p.p50_days) == ("supplier+element", 2, 15)


def test_quantiles_round_up_to_whole_working_days():
    h = DecisionHistory([rec(1, 1, "Dy", 10), rec(2, 1, "Dy", 11)])
    p = h.predict(supplier_id=1, elements=["Dy"], min_sample=2)
    assert (p.p50_days, p.p90_days) == (11, 11)  # 10.5 and 10.9 round up


def test_it_conditions_on_the_days_already_spent():
    h = DecisionHistory([rec(i, 1, "Dy", wd) for i, wd in enumerate([10, 20, 30, 40, 50])])
    p = h.predict(supplier_id=1, elements=["Dy"], elapsed=25, min_sample=3)
    # Only delays >= 25 are still possible: [30, 40, 50]; p90 at h = 1.8 -> 48.
    assert (p.level, p.sample_size, p.p50_days, p.p90_days) == ("supplier+element", 3, 40, 48)
    p = h.predict(supplier_id=1, elements=["Dy"], elapsed=45, min_sample=3)
    assert (p.level, p.sample_size) == ("", 1)


def test_km_quantile_redistributes_pending_weight_to_the_right():
    obs = [(10, True), (20, False), (30, True), (40, True)]
    # Masses: 10 -> 1/4; the pending 20 passes its 1/4 to 30 and 40 -> 3/8 each.
    # Positions (mass below / (1 - 3/8)): 10 at 0, 30 at 0.4, 40 at 1.
    assert km_quantile(obs, 0.5) == pytest.approx(30 + 0.1 / 0.6 * 10)
    assert km_quantile(obs, 0.9) == pytest.approx(30 + 0.5 / 0.6 * 10)
    # Without pending observations it is percentile_cont.
    assert km_quantile([(10, True), (20, True), (30, True), (40, True)], 0.5) == 25
    # A third still pending above every decision: the p90 is not known yet.
    assert km_quantile([(10, True), (20, True), (50, False)], 0.5) == 20
    assert km_quantile([(10, True), (20, True), (50, False)], 0.9) is None


# --- Stored predictions and dates ---------------------------------------------------------


@pytest.fixture
def min3(settings):
    settings.PREDICTION_MIN_SAMPLE = 3


def test_golden_week_dates(items, suppliers, min3):
    history_of(suppliers["a"], items["dy"], [45, 45, 45, 45, 50])
    app = open_app(suppliers["a"], items["dy"], accepted_on=D(2025, 9, 26))
    with at(D(2025, 9, 29)):
        assert predictions_refresh() == 1
    app = refreshed(app)
    # the example of docs/architecture.md#clock: accepted Friday 26 September 2025 + 45 working days = Thursday
    # 4 December (1-8 October off, Sunday 28 September and Saturday 11 October worked).
    assert app.predicted_decision_p50 == D(2025, 12, 4)
    # p90 of [45, 45, 45, 45, 50] at h = 3.6 is 48: three working days later.
    assert app.predicted_decision_p90 == D(2025, 12, 9)
    assert (app.prediction_level, app.prediction_sample_size) == ("supplier+element", 5)


def test_spring_festival_dates(items, suppliers, min3):
    history_of(suppliers["a"], items["dy"], [5, 5, 5, 10, 10])
    app = open_app(suppliers["a"], items["dy"], accepted_on=D(2026, 2, 12))
    with at(D(2026, 2, 12)):
        predictions_refresh()
    app = refreshed(app)
    # Thu 12 Feb 2026: Fri 13 (1), Sat 14 worked (2), 15-23 off, Tue 24 (3), Wed 25 (4), Thu 26 (5).
    assert app.predicted_decision_p50 == D(2026, 2, 26)
    # ... Fri 27 (6), Sat 28 worked (7), Mon 2 (8), Tue 3 (9), Wed 4 March (10).
    assert app.predicted_decision_p90 == D(2026, 3, 4)


def test_supplement_days_push_the_dates_out(items, suppliers, min3, procurement):
    history_of(suppliers["a"], items["dy"], [20, 20, 20, 30, 30])
    with at(D(2025, 9, 20)):
        app = services.application_create(
            supplier=suppliers["a"], end_user="Motor Works GmbH", destination_country="DE",
            lines=[{"item": items["dy"], "quantity": 10, "unit": "kg"}],
            events=[
                {"to": "submitted", "on": D(2025, 8, 28)},
                {"to": "accepted", "on": D(2025, 9, 1)},
                {"to": "supplement_requested", "on": D(2025, 9, 10)},
                {"to": "accepted", "on": D(2025, 9, 17)},
            ],
            actor=procurement,
        )
        predictions_refresh()
    app = refreshed(app)
    # 5 working days (11-17 September) do not count. p50 = 20 + 5 = 25 working days after
    # 1 September: the 25th is Saturday 11 October, a make-up working day after Golden Week.
    assert app.predicted_decision_p50 == D(2025, 10, 11)
    # p90 = 30 + 5 = 35 working days: Friday 24 October.
    assert app.predicted_decision_p90 == D(2025, 10, 24)


def test_unaccepted_applications_get_an_assumed_acceptance(items, suppliers, min3):
    # Every decided one was accepted 3 calendar days after filing (see make_decided).
    history_of(suppliers["a"], items["dy"], [10, 10, 10])
    draft = open_app(suppliers["a"], items["dy"], status=S.DRAFT, accepted_on=None)
    filed = open_app(suppliers["a"], items["dy"], status=S.SUBMITTED, accepted_on=None, submitted_on=D(2025, 10, 30))
    with at(D(2025, 11, 3)):  # a Monday
        predictions_refresh()
    # Draft: assumed filed today, accepted Thursday 6 November; + 10 working days.
    assert refreshed(draft).predicted_decision_p50 == D(2025, 11, 20)
    # Filed Thursday 30 October + 3 = Sunday 2 November, before today: accepted today at the
    # earliest (Monday 3 November); + 10 working days.
    assert refreshed(filed).predicted_decision_p50 == D(2025, 11, 17)


def test_too_little_history_means_no_prediction(items, suppliers, min3):
    history_of(suppliers["a"], items["dy"], [10, 20])
    app = open_app(suppliers["a"], items["dy"])
    with at(D(2025, 9, 29)):
        predictions_refresh()
    app = refreshed(app)
    assert (app.predicted_decision_p50, app.predicted_decision_p90) == (None, None)
    assert (app.prediction_level, app.prediction_sample_size) == ("", 2)


def test_exempt_and_final_applications_are_left_alone(items, suppliers, min3):
    history_of(suppliers["a"], items["dy"], [10, 20, 30])
    exempt = open_app(suppliers["a"], items["dy"], time_limit_exemption="watch_list")
    withdrawn = open_app(suppliers["a"], items["dy"], status=S.WITHDRAWN)
    with at(D(2025, 9, 29)):
        predictions_refresh()
    assert refreshed(exempt).prediction_level == ""
    assert refreshed(exempt).predicted_decision_p50 is None
    assert refreshed(withdrawn).prediction_sample_size is None  # never touched


def test_refresh_queries_do_not_grow_with_applications(items, suppliers, min3):
    history_of(suppliers["a"], items["dy"], [10, 20, 30])

    def count_queries():
        with at(D(2025, 9, 29)), CaptureQueriesContext(connection) as ctx:
            predictions_refresh()
        return len(ctx.captured_queries)

    for _ in range(2):
        open_app(suppliers["a"], items["dy"])
    small = count_queries()
    LicenceApplication.objects.update(prediction_level="stale")  # force a rewrite of all rows
    for _ in range(20):
        open_app(suppliers["b"], items["tb"])
    LicenceApplication.objects.update(prediction_level="stale")
    assert count_queries() == small


def test_open_applications_count_as_pending_and_can_force_a_wider_level(items, suppliers, min3):
    a, b = suppliers["a"], suppliers["b"]
    history_of(a, items["dy"], [10, 20, 30])
    history_of(b, items["dy"], [50, 60, 70])
    for _ in range(3):  # Alpha's Dy applications still pending after 44 working days
        open_app(a, items["dy"], accepted_on=D(2025, 7, 1))
    app = open_app(a, items["dy"], accepted_on=D(2025, 8, 29))
    with at(D(2025, 9, 1)):
        predictions_refresh()
    app = refreshed(app)
    # Alpha+Dy: 3 decided, but half of its mass is pending above 30: p90 unknown, go wider.
    # Dy: 10, 20, 30 (1/9 each), the three pending at 44 pass their mass on, 50, 60, 70 get
    # 2/9 each; positions 0, 1/7, 2/7, 3/7, 5/7, 1: p50 = 52.5 -> 53, p90 = 66.5 -> 67.
    assert (app.prediction_level, app.prediction_sample_size) == ("element", 6)
    cal = clock.calendar()
    assert app.predicted_decision_p50 == cal.add_working_days(D(2025, 8, 29), 53)
    assert app.predicted_decision_p90 == cal.add_working_days(D(2025, 8, 29), 67)


def test_refresh_can_target_a_subset(items, suppliers, min3):
    history_of(suppliers["a"], items["dy"], [10, 20, 30])
    mine = open_app(suppliers["a"], items["dy"])
    other = open_app(suppliers["a"], items["dy"])
    with at(D(2025, 9, 29)):
        assert predictions_refresh(LicenceApplication.objects.filter(pk=mine.pk)) == 1
    assert refreshed(mine).prediction_level == "supplier+element"
    assert refreshed(other).prediction_level == ""

"""The control rules as dated data: "is item X controlled on date D under scenario S" over the
real windows of the shipped reference data (docs/exposure.md)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from licensing.models import ControlledItem, ControlWindow, Outcome, PendingDecision, Scenario
from licensing.rules import Rules, decision_record_outcome, is_controlled

D = dt.date
BEFORE = D(2025, 10, 8)  # the day before Announcements No. 55 to 62
DURING = D(2026, 3, 1)  # inside the suspension under No. 70
AFTER = D(2026, 11, 11)  # the day after the suspension's scheduled end
NO18 = ["SM", "GD", "TB", "DY", "LU", "SC", "Y"]
SUSPENDED = ["HO", "ER", "TM", "EU", "YB", "REE-ORE", "REE-EQUIP", "REE-TECH", "REE-0.1PCT"]


@pytest.fixture
def seeded(db):
    call_command("seed_reference_data", stdout=StringIO())
    return {
        "ends": Scenario.objects.get(name="Suspension ends on 10 November 2026"),
        "extended": Scenario.objects.get(name="Suspension extended by a year"),
    }


def test_it_seeds_a_window_for_every_reference_item(seeded):
    windowless = ControlledItem.objects.filter(is_reference=True, windows__isnull=True)
    assert list(windowless) == []
    assert ControlWindow.objects.filter(decision__code="no70").count() == len(SUSPENDED)


def test_it_seeds_idempotently(seeded):
    before = ControlWindow.objects.count()
    call_command("seed_reference_data", stdout=StringIO())
    assert ControlWindow.objects.count() == before
    assert Scenario.objects.count() == 2


@pytest.mark.parametrize("code", NO18)
def test_announcement_18_items_are_controlled_in_every_window_and_scenario(seeded, code):
    rules = Rules.load()
    assert not rules.is_controlled(code, D(2025, 4, 3))
    assert rules.is_controlled(code, D(2025, 4, 4))
    for scenario in (None, seeded["ends"], seeded["extended"]):
        for day in (BEFORE, DURING, AFTER):
            assert rules.is_controlled(code, day, scenario), (code, day, scenario)


@pytest.mark.parametrize("code", SUSPENDED)
def test_suspended_items_are_free_before_9_october_and_during_the_suspension(seeded, code):
    rules = Rules.load()
    for scenario in (None, seeded["ends"], seeded["extended"]):
        assert not rules.is_controlled(code, BEFORE, scenario)
        assert not rules.is_controlled(code, DURING, scenario)
        assert not rules.is_controlled(code, D(2026, 11, 9), scenario)


@pytest.mark.parametrize("code", SUSPENDED)
def test_after_10_november_2026_it_depends_on_the_scenario(seeded, code):
    rules = Rules.load()
    assert rules.is_controlled(code, D(2026, 11, 10), seeded["ends"])
    assert rules.is_controlled(code, AFTER, seeded["ends"])
    assert not rules.is_controlled(code, AFTER, seeded["extended"])
    assert not rules.is_controlled(code, D(2027, 11, 9), seeded["extended"])
    assert rules.is_controlled(code, D(2027, 11, 10), seeded["extended"])
    # No scenario and no recorded outcome: as scheduled.
    assert rules.is_controlled(code, AFTER)


def test_technologies_were_controlled_for_a_month_before_the_suspension(seeded):
    rules = Rules.load()
    assert not rules.is_controlled("REE-TECH", D(2025, 10, 8))
    assert rules.is_controlled("REE-TECH", D(2025, 10, 9))
    assert rules.is_controlled("REE-TECH", D(2025, 11, 7))
    assert not rules.is_controlled("REE-TECH", D(2025, 11, 8))


def test_the_0_1_percent_rule_never_took_effect_in_2025(seeded):
    rules = Rules.load()
    assert not any(rules.is_controlled("REE-0.1PCT", D(2025, 12, 1) + dt.timedelta(days=n)) for n in range(340))


def test_the_recorded_outcome_overrides_every_scenario(seeded, compliance):
    decision = PendingDecision.objects.get(code="no70")
    decision_record_outcome(
        decision=decision, outcome=Outcome.EXTENDED, extended_until=D(2027, 11, 10),
        source="MOFCOM Announcement (hypothetical)", actor=compliance,
    )
    rules = Rules.load()
    assert rules.is_controlled("DY", AFTER, seeded["extended"])
    assert not rules.is_controlled("HO", AFTER, seeded["ends"])
    assert not rules.is_controlled("HO", AFTER)
    assert rules.is_controlled("HO", D(2027, 11, 10), seeded["ends"])


def test_recording_the_outcome_refreshes_the_current_flags(seeded, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 3, 9, 0))
    decision = PendingDecision.objects.get(code="no70")
    decision_record_outcome(decision=decision, outcome=Outcome.ENDS)
    assert ControlledItem.objects.get(code="HO").licensing_required is True
    decision_record_outcome(decision=decision, outcome=Outcome.EXTENDED, extended_until=D(2027, 11, 10))
    assert ControlledItem.objects.get(code="HO").licensing_required is False
    assert ControlledItem.objects.get(code="DY").licensing_required is True


def test_an_extension_must_name_a_later_end(seeded):
    decision = PendingDecision.objects.get(code="no70")
    with pytest.raises(ValidationError) as exc:
        decision_record_outcome(decision=decision, outcome=Outcome.EXTENDED)
    assert "extended_until" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        decision_record_outcome(decision=decision, outcome=Outcome.EXTENDED, extended_until=D(2026, 11, 1))
    assert "extended_until" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        decision_record_outcome(decision=decision, outcome="maybe")
    assert "outcome" in exc.value.message_dict


def test_a_users_item_follows_its_control_class(seeded):
    ho = ControlledItem.objects.get(code="HO")
    own = ControlledItem.objects.create(code="HO-MAGNET-1", name="Ho magnet", elements="Ho", parent=ho)
    rules = Rules.load()
    assert rules.is_controlled(own, AFTER, seeded["ends"])
    assert not rules.is_controlled(own, DURING)


def test_an_item_without_windows_follows_its_flag(db):
    ControlledItem.objects.create(code="X1", name="x", licensing_required=True)
    ControlledItem.objects.create(code="X2", name="y", licensing_required=False)
    assert is_controlled("X1", BEFORE)
    assert not is_controlled("X2", BEFORE)
    assert not is_controlled("UNKNOWN", BEFORE)


def test_rules_load_in_a_fixed_number_of_queries(seeded, django_assert_num_queries):
    ho = ControlledItem.objects.get(code="HO").id
    with django_assert_num_queries(4):
        rules = Rules.load()
    with django_assert_num_queries(0):
        assert ho in rules.changes_on(D(2026, 11, 10), seeded["ends"])


def test_changes_on_names_the_items_a_date_switches(seeded):
    rules = Rules.load()
    codes = {c for c, i in rules.codes.items() if i in rules.changes_on(D(2026, 11, 10), seeded["ends"])}
    assert codes == {c.lower() for c in SUSPENDED}
    assert rules.changes_on(D(2026, 11, 10), seeded["extended"]) == set()
    assert {c for c, i in rules.codes.items() if i in rules.changes_on(D(2025, 4, 4))} == {c.lower() for c in NO18}

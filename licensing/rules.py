"""Is item X controlled on date D under scenario S? (docs/exposure.md)

The answer is a function of data: an item's ``ControlWindow`` rows (its own, else its control
class's). A window whose end hangs on an undecided event (a ``PendingDecision``) ends on:

1. the real outcome, once compliance has recorded it (``decision_record_outcome``); else
2. the scenario's assumed outcome, when a scenario is given and states one; else
3. the decision's scheduled end ("as scheduled").

An item is controlled on D when a CONTROLLED window covers D and no SUSPENDED window does.
An item with no windows anywhere (a user's own item outside the reference classes) follows
its ``licensing_required`` flag, which is then the only fact known about it.

``Rules.load()`` reads every window, decision and scenario outcome in three queries, so the
impact and what-if computations ask about thousands of lines without a query per line.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from . import clock
from .models import ControlledItem, ControlWindow, Outcome, PendingDecision, Scenario, ScenarioOutcome
from .models.rules import check_outcome


@dataclass(frozen=True)
class Window:
    kind: str
    starts_on: dt.date
    ends_on: dt.date | None
    decision_id: int | None

    def covers(self, day: dt.date, end: dt.date | None) -> bool:
        return self.starts_on <= day and (end is None or day < end)


@dataclass
class Rules:
    """Every window, decision and scenario outcome, loaded once."""

    windows: dict[int, list[Window]] = field(default_factory=dict)
    parents: dict[int, int | None] = field(default_factory=dict)
    flags: dict[int, bool] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    elements: dict[int, list[str]] = field(default_factory=dict)
    decisions: dict[int, PendingDecision] = field(default_factory=dict)
    assumed: dict[int, dict[int, tuple[str, dt.date | None]]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Rules:
        rules = cls()
        for item in ControlledItem.objects.only("id", "code", "parent_id", "licensing_required", "elements"):
            rules.parents[item.id] = item.parent_id
            rules.flags[item.id] = item.licensing_required
            rules.codes[item.code.lower()] = item.id
            rules.elements[item.id] = item.element_list
        by_item: dict[int, list[Window]] = defaultdict(list)
        for w in ControlWindow.objects.order_by("starts_on", "id"):
            by_item[w.item_id].append(Window(w.kind, w.starts_on, w.ends_on, w.decision_id))
        rules.windows = dict(by_item)
        rules.decisions = {d.id: d for d in PendingDecision.objects.all()}
        for o in ScenarioOutcome.objects.all():
            rules.assumed.setdefault(o.scenario_id, {})[o.decision_id] = (o.outcome, o.extended_until)
        return rules

    # -- reading ----------------------------------------------------------------------------

    def item_id(self, item: ControlledItem | int | str) -> int | None:
        if isinstance(item, ControlledItem):
            return item.id
        if isinstance(item, str):
            return self.codes.get(item.strip().lower())
        return item

    def decision_end(self, decision_id: int, scenario: Scenario | int | None = None) -> dt.date | None:
        """The day the windows tied to a decision stop applying (None: never, as far as known)."""
        d = self.decisions[decision_id]
        if d.outcome:
            outcome, until = d.outcome, d.extended_until
        else:
            sid = scenario.id if isinstance(scenario, Scenario) else scenario
            outcome, until = self.assumed.get(sid, {}).get(decision_id, (Outcome.ENDS, None))
        return until if outcome == Outcome.EXTENDED else d.scheduled_end

    def window_end(self, w: Window, scenario=None) -> dt.date | None:
        return self.decision_end(w.decision_id, scenario) if w.decision_id else w.ends_on

    def windows_of(self, item_id: int) -> list[Window]:
        """The item's own windows, else its control class's (nearest ancestor with any)."""
        seen = set()
        current: int | None = item_id
        while current is not None and current not in seen:
            seen.add(current)
            if current in self.windows:
                return self.windows[current]
            current = self.parents.get(current)
        return []

    def is_controlled(self, item: ControlledItem | int | str, on: dt.date, scenario=None) -> bool:
        item_id = self.item_id(item)
        if item_id is None:
            return False
        windows = self.windows_of(item_id)
        if not windows:
            return self.flags.get(item_id, False)
        covering = {w.kind for w in windows if w.covers(on, self.window_end(w, scenario))}
        return ControlWindow.Kind.CONTROLLED in covering and ControlWindow.Kind.SUSPENDED not in covering

    def changes_on(self, day: dt.date, scenario=None) -> set[int]:
        """Items whose control status differs on ``day`` from the day before (the items a
        policy date switches on or off)."""
        before = day - dt.timedelta(days=1)
        return {
            item_id for item_id in self.parents
            if self.is_controlled(item_id, day, scenario) != self.is_controlled(item_id, before, scenario)
        }

    def bounds_on(self, day: dt.date, scenario=None) -> set[int]:
        """Items with a window (own or inherited) starting or ending on ``day``, whether or not
        the status flips (a suspension that starts the day controls were due still matters)."""
        found = set()
        for item_id in self.parents:
            for w in self.windows_of(item_id):
                if w.starts_on == day or self.window_end(w, scenario) == day:
                    found.add(item_id)
                    break
        return found

    def controlled_elements(self) -> set[str]:
        """The element symbols of items that are controlled at some time (the rare earths of
        Announcements No. 18 and No. 57, which No. 61's 0.1 % test counts)."""
        return {
            e for item_id, windows in self.windows.items()
            if any(w.kind == ControlWindow.Kind.CONTROLLED for w in windows)
            for e in self.elements.get(item_id, [])
        }

    def elements_controlled_on(self, on: dt.date, scenario=None) -> set[str]:
        return {
            e for item_id, elements in self.elements.items() if elements and self.is_controlled(item_id, on, scenario)
            for e in elements
        }


def is_controlled(item: ControlledItem | str, on: dt.date, scenario: Scenario | None = None) -> bool:
    """One question; batch callers load ``Rules`` once instead."""
    return Rules.load().is_controlled(item, on, scenario)


# -- writes ---------------------------------------------------------------------------------


def items_refresh_flags(*, rules: Rules | None = None, today: dt.date | None = None) -> int:
    """Set each windowed item's ``licensing_required`` to what the rules say today; returns how
    many changed. Items without windows keep the flag staff set."""
    rules = rules or Rules.load()
    today = today or clock.today()
    changed = 0
    for item in ControlledItem.objects.filter(id__in=list(rules.parents)):
        if not rules.windows_of(item.id):
            continue
        now = rules.is_controlled(item.id, today)
        if item.licensing_required != now:
            item.licensing_required = now
            item.save(update_fields=["licensing_required", "updated_at"])
            changed += 1
    return changed


@transaction.atomic
def decision_record_outcome(
    *, decision: PendingDecision, outcome: str, extended_until: dt.date | None = None, source: str = "", actor=None
) -> PendingDecision:
    """Compliance records what really happened; every window tied to the decision follows,
    scenarios stop mattering for it, and the items' current flags are refreshed."""
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": f"Choose one of: {', '.join(Outcome.values)}."})
    check_outcome(outcome, extended_until, decision.scheduled_end, field="extended_until")
    decision.outcome = outcome
    decision.extended_until = extended_until
    decision.outcome_source = source
    decision.decided_by = actor if getattr(actor, "pk", None) else None
    decision.full_clean()
    decision.save()
    items_refresh_flags()
    return decision


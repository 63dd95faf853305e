"""Hand-built control rules for the exposure tests: the real shape of the reference data
(an Announcement No. 18 element, a No. 57 element and the No. 61 0.1 % class suspended by
No. 70 until 10 Nov 2026) without loading the whole catalogue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from licensing.models import (
    ControlledItem,
    ControlWindow,
    Outcome,
    PendingDecision,
    PolicyEvent,
    Scenario,
    ScenarioOutcome,
)

D = dt.date
END = D(2026, 11, 10)


@dataclass
class World:
    dy: ControlledItem
    tb: ControlledItem
    ho: ControlledItem
    pct: ControlledItem
    decision: PendingDecision
    expiry: PolicyEvent
    ends: Scenario
    extended: Scenario


def build_rules() -> World:
    C, S = ControlWindow.Kind.CONTROLLED, ControlWindow.Kind.SUSPENDED
    dy = ControlledItem.objects.create(code="DY", name="Dysprosium items", elements="Dy", is_reference=True)
    tb = ControlledItem.objects.create(code="TB", name="Terbium items", elements="Tb", is_reference=True)
    ho = ControlledItem.objects.create(
        code="HO", name="Holmium items", elements="Ho", is_reference=True, licensing_required=False
    )
    pct = ControlledItem.objects.create(
        code="REE-0.1PCT", name="Foreign-made items, 0.1 %", is_reference=True, licensing_required=False
    )
    expiry = PolicyEvent.objects.create(
        date=END, title="Suspension under Announcement No. 70 ends", jurisdiction="CN", kind="expiry",
        elements="Ho",
    )
    expiry.items.set([ho])
    decision = PendingDecision.objects.create(code="no70", title="No. 70 ends", scheduled_end=END, event=expiry)
    for item in (dy, tb):
        ControlWindow.objects.create(item=item, kind=C, starts_on=D(2025, 4, 4), announcement="No. 18")
    ControlWindow.objects.create(item=ho, kind=C, starts_on=D(2025, 11, 8), announcement="No. 57")
    ControlWindow.objects.create(item=ho, kind=S, starts_on=D(2025, 11, 8), decision=decision, announcement="No. 70")
    ControlWindow.objects.create(item=pct, kind=C, starts_on=D(2025, 12, 1), announcement="No. 61")
    ControlWindow.objects.create(item=pct, kind=S, starts_on=D(2025, 11, 8), decision=decision, announcement="No. 70")
    ends = Scenario.objects.create(name="Suspension ends")
    ScenarioOutcome.objects.create(scenario=ends, decision=decision, outcome=Outcome.ENDS)
    extended = Scenario.objects.create(name="Extended by a year")
    ScenarioOutcome.objects.create(
        scenario=extended, decision=decision, outcome=Outcome.EXTENDED, extended_until=D(2027, 11, 10)
    )
    return World(dy, tb, ho, pct, decision, expiry, ends, extended)

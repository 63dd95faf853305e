"""A synthetic but realistic decision history, to exercise the backtest before demo data exists.

Described in docs/analytics.md. Deterministic for a seed. The model behind it:

- 5 suppliers with their own typical speed (median 32 to 58 counted working days);
- items: Dy, Tb, Sm, Gd and Y oxides and an NdFeB magnet ("Nd Pr Dy Tb"); Tb and magnets
  take about 15 % longer;
- counted working days = supplier median x element factor x log-normal noise (sigma 0.3),
  and a regime change: applications accepted from 9 October 2025 (the wider controls) take
  25 % longer, from 1 March 2026 10 % shorter than that again (the queue clears);
- 20 % get a supplement request pausing 5 to 25 working days (not counted, but in the
  calendar days); 85 % approved; decided on the counted day on the Chinese calendar;
- 420 applications accepted 1 April 2025 to 30 September 2026, filed 2 to 8 days before;
  only those decided by 20 November 2026 are decided, the rest stay accepted.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from licensing import clock
from licensing.models import ApplicationLine, ApplicationStatus, ControlledItem, LicenceApplication
from suppliers.models import Supplier

S = ApplicationStatus
CUTOFF = dt.date(2026, 11, 20)
SUPPLIERS = {"Ganzhou Heavy RE": 32, "Baotou Oxides": 40, "Xiamen Tungsten RE": 45, "Ningbo Magnets": 50,
             "Sichuan Alloys": 58}
ITEMS = {"SYN-DY": ("Dy", 1.0), "SYN-TB": ("Tb", 1.15), "SYN-SM": ("Sm", 1.0), "SYN-GD": ("Gd", 1.0),
         "SYN-Y": ("Y", 0.95), "SYN-NDFEB": ("Nd Pr Dy Tb", 1.15)}


def regime(accepted_on: dt.date) -> float:
    if accepted_on >= dt.date(2026, 3, 1):
        return 1.25 * 0.9
    if accepted_on >= dt.date(2025, 10, 9):
        return 1.25
    return 1.0


def build(seed: int = 2025, n: int = 420, *, stationary: bool = False) -> int:
    """Create the history; returns the number of decided applications. ``stationary`` drops
    the regime change, to see what the estimator does when the past does resemble the future."""
    rng = random.Random(seed)
    cal = clock.calendar()
    suppliers = [Supplier.objects.create(name=name) for name in SUPPLIERS]
    speed = dict(zip(suppliers, SUPPLIERS.values(), strict=True))
    items = [
        ControlledItem.objects.get_or_create(code=code, defaults={"name": code, "elements": elements})[0]
        for code, (elements, _) in ITEMS.items()
    ]
    factor = {item.code: ITEMS[item.code][1] for item in items}
    start, span = dt.date(2025, 4, 1), (dt.date(2026, 9, 30) - dt.date(2025, 4, 1)).days
    apps, lines, decided = [], [], 0
    for i in range(n):
        supplier = rng.choice(suppliers)
        item = rng.choice(items)
        accepted = start + dt.timedelta(days=rng.randrange(span))
        while not cal.is_working_day(accepted):
            accepted += dt.timedelta(days=1)
        shift = 1.0 if stationary else regime(accepted)
        days = max(3, round(speed[supplier] * factor[item.code] * shift * math.exp(rng.gauss(0, 0.3))))
        pause = rng.randint(5, 25) if rng.random() < 0.2 else 0
        decided_on = cal.add_working_days(accepted, days + pause)
        app = LicenceApplication(
            reference=f"SYN-{i:05d}", supplier=supplier, end_user="Motor Works GmbH", destination_country="DE",
            submitted_on=accepted - dt.timedelta(days=rng.randint(2, 8)), accepted_on=accepted,
        )
        if decided_on <= CUTOFF:
            app.status = S.APPROVED if rng.random() < 0.85 else S.REJECTED
            app.decided_on = app.closed_on = decided_on
            app.decision_working_days = days
            decided += 1
        else:
            app.status = S.ACCEPTED
        apps.append(app)
        lines.append((app, item))
    LicenceApplication.objects.bulk_create(apps)
    ApplicationLine.objects.bulk_create(
        ApplicationLine(application=app, item=item, quantity=100, unit="kg") for app, item in lines
    )
    return decided

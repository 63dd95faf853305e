"""Date helpers shared by the foundation's tests (licensing, suppliers, core)."""

import datetime as dt

import time_machine

# 04:00 UTC is noon in Shanghai: the same calendar date for licensing.clock.today() and UTC.
TODAY = dt.date(2025, 12, 1)


def at(day: dt.date):
    """A time_machine context frozen at noon in China on ``day``."""
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 4, tzinfo=dt.UTC), tick=False)

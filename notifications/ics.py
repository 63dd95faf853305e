"""The per-user secret iCalendar feed (docs/architecture.md#calendar-feed), built with the ``icalendar``
package."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from icalendar import Calendar, Event

from . import selectors


def feed(today: dt.date | None = None) -> bytes:
    """All-day events, one per deadline; stable UIDs so calendar apps update rather than add."""
    cal = Calendar()
    cal.add("prodid", "-//Rare-earth licence tracker//alerts//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Rare-earth licence deadlines")
    host = settings.SITE_URL.split("://", 1)[-1].split("/")[0]
    stamp = dt.datetime.now(dt.UTC)
    for entry in selectors.ics_entries(today):
        event = Event()
        event.add("uid", f"{entry['uid']}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", entry["date"])
        event.add("dtend", entry["date"] + dt.timedelta(days=1))
        event.add("summary", entry["summary"])
        event.add("url", f"{settings.SITE_URL}{entry['url']}")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()

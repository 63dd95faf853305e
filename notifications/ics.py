"""The per-user secret iCalendar feed (docs/architecture.md#calendar-feed), built with the ``icalendar``
package."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from icalendar import Calendar, Event

from core.exports import clean_text

from . import selectors

#: a summary longer than this is cut: calendar apps show a line, and a stored 1 MB name must
#: not make the feed 1 MB per event
SUMMARY_MAX_CHARS = 300


def feed(today: dt.date | None = None) -> bytes:
    """All-day events, one per deadline; stable UIDs so calendar apps update rather than add.

    Robust to any stored value: text is cleaned of control characters (they make the feed
    unparseable) and cut, and an event on 9999-12-31 has no DTEND (an all-day DTSTART alone
    is one day long, RFC 5545 3.6.1) since the day after it does not exist."""
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
        if entry["date"] < dt.date.max:
            event.add("dtend", entry["date"] + dt.timedelta(days=1))
        event.add("summary", " ".join(clean_text(entry["summary"]).split())[:SUMMARY_MAX_CHARS])
        event.add("url", f"{settings.SITE_URL}{entry['url']}")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()

"""Nothing stored breaks an output: values the door would refuse today (control characters,
megabyte-long text, dates at the ends of the calendar), written straight to the database as an
old row or a script would, still export to CSV and XLSX and appear in the calendar feed."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from icalendar import Calendar

from licensing.models import Licence, LicenceApplication, PolicyEvent
from notifications import services
from shipments.models import Shipment
from suppliers.models import PurchaseOrder, Supplier

from .test_exports_imports import LISTS, xlsx_rows

# Controls, a non-character, 40,000 characters (no NUL: PostgreSQL cannot store one at all).
HOSTILE = "a\u0001b\u0002c\u001fd\x0b\ufffe" + "é" * 40_000
LAST, FIRST = dt.date(9999, 12, 31), dt.date(1, 1, 1)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hostile(scene):
    Supplier.objects.update(name=HOSTILE[:200], notes=HOSTILE)  # the column holds 200 characters
    PurchaseOrder.objects.update(notes=HOSTILE)
    Shipment.objects.update(reference=HOSTILE[:60], eta=LAST, notes=HOSTILE)
    licences = list(Licence.objects.order_by("pk"))
    Licence.objects.filter(pk=licences[0].pk).update(valid_until=LAST, number="L\u0007" + "9" * 50)
    Licence.objects.filter(pk=licences[-1].pk).update(valid_from=FIRST)
    LicenceApplication.objects.update(notes=HOSTILE)
    for event in PolicyEvent.objects.all():
        PolicyEvent.objects.filter(pk=event.pk).update(title=f"{HOSTILE[:240]}{event.pk}", date=LAST)
    return scene


def test_every_list_exports_hostile_values_to_csv_and_xlsx(hostile, viewer, client):
    client.force_login(viewer)
    for url in LISTS:
        sep = "&" if "?" in url else "?"
        response = client.get(f"{url}{sep}export=csv")
        assert response.status_code == 200, url
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        assert "\u0001" not in repr(rows), url
        response = client.get(f"{url}{sep}export=xlsx")
        assert response.status_code == 200, url
        sheet = xlsx_rows(response)
        assert len(sheet) == len(rows) > 1, url
        texts = [v for row in sheet for v in row if isinstance(v, str)]
        assert all(len(v) <= 32_767 for v in texts), url
    suppliers = xlsx_rows(client.get("/suppliers/?export=xlsx"))
    assert any(isinstance(v, str) and v.startswith("abcd") for v in suppliers[1])


def test_the_calendar_feed_survives_hostile_text_and_the_last_day_of_the_calendar(hostile, viewer, client):
    token = services.preference_for(viewer).ics_token
    response = client.get(f"/notifications/calendar/{token}.ics")
    assert response.status_code == 200
    body = response.content.decode()
    # No control character but the line breaks (and a parser that is strict about them).
    assert not [c for c in body if ord(c) < 32 and c not in "\r\n\t"]
    events = Calendar.from_ical(response.content).walk("VEVENT")
    last = [e for e in events if e["DTSTART"].dt == LAST]
    assert last and all("DTEND" not in e for e in last)
    assert all(len(str(e["SUMMARY"])) <= 300 for e in events)
    assert any(str(e["SUMMARY"]).startswith("[") and "abcd" in str(e["SUMMARY"]) for e in events)

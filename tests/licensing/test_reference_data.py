"""seed_reference_data: the controlled items and policy events the product ships."""

import csv
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from licensing import services
from licensing.models import ControlledItem, PolicyEvent

DATA = Path(__file__).resolve().parents[2] / "licensing" / "data"


def _rows(name: str) -> list[dict]:
    with open(DATA / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_it_loads_every_row_once_and_a_second_run_changes_nothing(db):
    out = StringIO()
    call_command("seed_reference_data", stdout=out)
    items, events = _rows("controlled_items.csv"), _rows("policy_events.csv")
    assert ControlledItem.objects.count() == len(items)
    assert PolicyEvent.objects.count() == len(events) == 37
    assert f"Controlled items: {len(items)} new. Policy events: 37 new." in out.getvalue()

    snapshot = list(PolicyEvent.objects.order_by("pk").values_list("pk", "updated_at"))
    out = StringIO()
    call_command("seed_reference_data", stdout=out)
    assert "Controlled items: 0 new. Policy events: 0 new." in out.getvalue()
    assert list(PolicyEvent.objects.order_by("pk").values_list("pk", "updated_at")) == snapshot


def test_sources_confidence_and_affected_items_are_kept(db):
    call_command("seed_reference_data", stdout=StringIO())
    row = next(r for r in _rows("policy_events.csv") if r["elements"])
    event = PolicyEvent.objects.get(date=row["date"], title=row["title"])
    assert (event.source_url, event.confidence, event.is_reference) == (row["source_url"], row["confidence"], True)
    assert set(event.items.all()) == set(services.items_for_elements(row["elements"]))
    assert event.items.exists()
    dy = ControlledItem.objects.get(code="DY")
    assert dy.is_reference and "Dy" in dy.element_list and dy.controlled_since is not None


def test_a_staff_edit_survives_a_second_run_unless_asked_to_update(db):
    call_command("seed_reference_data", stdout=StringIO())
    ControlledItem.objects.filter(code="DY").update(notes="our note")
    call_command("seed_reference_data", stdout=StringIO())
    assert ControlledItem.objects.get(code="DY").notes == "our note"
    call_command("seed_reference_data", "--update", stdout=StringIO())
    assert ControlledItem.objects.get(code="DY").notes != "our note"

import csv
import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from licensing.models import (
    ApplicationDocumentKind,
    ControlledItem,
    ControlWindow,
    Form,
    PendingDecision,
    PolicyEvent,
    Scenario,
    ScenarioOutcome,
)
from licensing.services import items_for_elements

DATA = Path(__file__).resolve().parents[2] / "data"
FORMS = set(Form.values)


def _date(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


class Command(BaseCommand):
    help = "Load the controlled items and policy events the product ships (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--update", action="store_true", help="Overwrite rows that already exist.")

    @transaction.atomic
    def handle(self, *args, update: bool = False, **options):
        items = self._items(update)
        events = self._events(update)
        windows = self._rules(update)
        kinds = self._document_kinds(update)
        self.stdout.write(
            f"Controlled items: {items} new. Policy events: {events} new. Control windows: {windows} new. "
            f"Document kinds: {kinds} new."
        )

    def _document_kinds(self, update: bool) -> int:
        """The papers of an application (each application's checklist), with their sources."""
        created = 0
        with open(DATA / "application_documents.csv", newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                defaults = {
                    "name": row["name"], "name_zh": row["name_zh"], "provided_by": row["provided_by"],
                    "chinese_translation": row["chinese_translation"], "since": _date(row["since"]),
                    "source_title": row["source_title"], "source_url": row["source_url"],
                }
                if update:
                    _, new = ApplicationDocumentKind.objects.update_or_create(code=row["code"], defaults=defaults)
                else:
                    _, new = ApplicationDocumentKind.objects.get_or_create(code=row["code"], defaults=defaults)
                created += new
        return created

    def _items(self, update: bool) -> int:
        created = 0
        with open(DATA / "controlled_items.csv", newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                defaults = {
                    "name": row["name"],
                    "elements": row["elements"],
                    "form": row["form"] if row["form"] in FORMS else Form.OTHER,
                    "control_code": row["control_code"],
                    "hs_codes": row["hs_codes_cn"],
                    "announcement": row["announcement"],
                    "controlled_since": _date(row["controlled_since"]),
                    "licensing_required": row["status"] == "active",
                    "notes": row["notes"],
                    "is_reference": True,
                }
                if update:
                    _, new = ControlledItem.objects.update_or_create(code=row["code"], defaults=defaults)
                else:
                    _, new = ControlledItem.objects.get_or_create(code=row["code"], defaults=defaults)
                created += new
        return created

    def _events(self, update: bool) -> int:
        created = 0
        with open(DATA / "policy_events.csv", newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                defaults = {
                    "jurisdiction": row["jurisdiction"],
                    "kind": row["kind"],
                    "summary": row["summary"],
                    "elements": row["elements"],
                    "source_title": row["source_title"],
                    "source_url": row["source_url"],
                    "confidence": row["confidence"],
                    "is_reference": True,
                }
                lookup = {"date": _date(row["date"]), "title": row["title"]}
                if update:
                    event, new = PolicyEvent.objects.update_or_create(**lookup, defaults=defaults)
                else:
                    event, new = PolicyEvent.objects.get_or_create(**lookup, defaults=defaults)
                if new or update:
                    event.items.set(items_for_elements(event.elements) if event.elements else [])
                created += new
        return created

    def _rules(self, update: bool) -> int:
        """Pending decisions, control windows and the shipped scenarios (docs/exposure.md).
        Windows are matched by item, kind and start; a recorded outcome is never overwritten."""
        decisions = {}
        with open(DATA / "pending_decisions.csv", newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                event = PolicyEvent.objects.filter(date=_date(row["event_date"]), title=row["event_title"]).first()
                defaults = {"title": row["title"], "scheduled_end": _date(row["scheduled_end"]), "event": event}
                decision, _ = PendingDecision.objects.get_or_create(code=row["code"], defaults=defaults)
                decisions[row["code"]] = decision
        items = {i.code: i for i in ControlledItem.objects.filter(is_reference=True)}
        created = 0
        with open(DATA / "control_windows.csv", newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["item"] not in items:
                    continue  # the item was deleted by staff; its windows go with it
                lookup = {"item": items[row["item"]], "kind": row["kind"], "starts_on": _date(row["starts_on"])}
                defaults = {
                    "ends_on": _date(row["ends_on"]),
                    "decision": decisions.get(row["decision"]) if row["decision"] else None,
                    "announcement": row["announcement"],
                    "source_url": row["source_url"],
                }
                if update:
                    _, new = ControlWindow.objects.update_or_create(**lookup, defaults=defaults)
                else:
                    _, new = ControlWindow.objects.get_or_create(**lookup, defaults=defaults)
                created += new
        with open(DATA / "scenarios.csv", newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                scenario, _ = Scenario.objects.get_or_create(
                    name=row["name"], defaults={"description": row["description"], "is_reference": True}
                )
                ScenarioOutcome.objects.get_or_create(
                    scenario=scenario, decision=decisions[row["decision"]],
                    defaults={"outcome": row["outcome"], "extended_until": _date(row["extended_until"])},
                )
        return created

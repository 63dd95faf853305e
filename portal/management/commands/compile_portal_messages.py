"""Compile the portal's catalogue (.po to .mo) in Python alone: ``make run`` and ``make test``
need no GNU gettext (docs/supplier-portal.md#languages)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from portal.catalogue import compile_mo

LOCALE = Path(__file__).resolve().parents[2] / "locale"


class Command(BaseCommand):
    help = "Compile portal/locale/*/LC_MESSAGES/django.po into django.mo (pure Python)."

    def handle(self, *args, **options) -> None:
        for po in sorted(LOCALE.glob("*/LC_MESSAGES/django.po")):
            po.with_suffix(".mo").write_bytes(compile_mo(po.read_text(encoding="utf-8")))
            self.stdout.write(f"compiled {po.relative_to(LOCALE.parent.parent)}")

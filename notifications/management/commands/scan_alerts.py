"""python manage.py scan_alerts: one synchronous scan (docs/architecture.md#api); prints how many alerts it made."""

from django.core.management.base import BaseCommand

from notifications import services
from notifications.tasks import queue_result


class Command(BaseCommand):
    help = "Run the alert scan once, synchronously, and print how many alerts it created."

    def add_arguments(self, parser):
        parser.add_argument("--no-send", action="store_true", help="Create alerts and deliveries but queue no sending.")

    def handle(self, *args, **options):
        result = services.run_scan()
        if not options["no_send"]:
            queue_result(result)
        self.stdout.write(f"{result.alerts} alerts created ({len(result.deliveries)} immediate deliveries queued).")

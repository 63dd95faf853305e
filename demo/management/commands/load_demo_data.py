import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from demo import builder as demo
from demo.portal import demo_portal_link
from licensing.models import ControlledItem
from licensing.predictions import predictions_refresh
from shipments.risk import purchase_orders_refresh_risk


class Command(BaseCommand):
    # The demo app sits above every other app: the data set spans suppliers, licensing,
    # shipments (built by demo.builder), the analytics and the demo user's alert preferences.
    help = (
        "Load a believable demo data set built through the services (idempotent: a second run changes "
        "nothing). The demo users demo/demo and admin/admin are created only in the embedded default."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        if not ControlledItem.objects.filter(is_reference=True).exists():
            call_command("seed_reference_data", stdout=self.stdout)
        if settings.EMBEDDED:
            actor = demo.create_demo_users()
            self.stdout.write("Demo users: demo / demo (procurement), admin / admin (superuser).")
        else:
            actor = None
            self.stdout.write(
                "Demo users are not created outside the embedded default (DATABASE_URL is set): "
                "create real users with `manage.py createsuperuser`."
            )
        if demo.demo_data_loaded():
            self.stdout.write("Demo data already loaded: nothing changed.")
            self._portal_link()
            return
        counts = demo.build_demo_data(actor=actor)
        # The demo user keeps the default alert policy (critical at once, the rest in the daily
        # digest): what a new team member would get, not a flood.
        # So that the first page shows predicted decisions and purchase orders at risk
        # without waiting for the worker's first hourly refresh.
        predictions_refresh()
        purchase_orders_refresh_risk()
        self.stdout.write(
            "Demo data loaded: {suppliers} suppliers, {applications} applications, {licences} licences, "
            "{shipments} shipments".format(**counts) + f" in {time.monotonic() - started:.1f} s."
        )
        self._portal_link()

    def _portal_link(self) -> None:
        if url := demo_portal_link():
            self.stdout.write(f"Supplier portal (demo supplier's contact, in Chinese): {url}")

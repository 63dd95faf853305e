from django.core.management.base import BaseCommand

from core.api.idempotency import idempotency_records_purge


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than 24 hours (run daily; Celery beat can call the same function)."

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {idempotency_records_purge()} idempotency record(s).")

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.api.keys import api_key_create
from core.models import ApiKey


class Command(BaseCommand):
    help = "Create an API key for an ERP integration; prints the key once, as the last line alone."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The integration, e.g. sap-prod.")
        parser.add_argument("--scope", choices=ApiKey.Scope.values, default=ApiKey.Scope.READ)

    def handle(self, *args, name: str, scope: str, **options):
        try:
            key, raw = api_key_create(name=name, scope=scope)
        except ValidationError as exc:
            raise CommandError("; ".join(m for ms in exc.message_dict.values() for m in ms)) from exc
        self.stderr.write(
            f"Created the {key.scope} key '{key.name}'. Copy it now: it is stored hashed and cannot be shown again."
        )
        self.stdout.write(raw)

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Users, roles and the API plumbing shared by the domain apps; imports none of them."""

    name = "core"
    verbose_name = "Accounts and API"

    def ready(self) -> None:
        from core.sync import tombstones_connect

        tombstones_connect()

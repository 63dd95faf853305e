from django.apps import AppConfig


class SuppliersConfig(AppConfig):
    """Commercial operations: suppliers, purchase orders, shipments and their drawdown."""

    name = "suppliers"
    verbose_name = "Suppliers and shipments"

    def ready(self) -> None:
        from licensing.signals import calendar_changed

        from .services import shipments_refresh_customs_due

        def refresh_customs_windows(**kwargs) -> None:
            # A wake-up only: the periodic scan also calls the service, so nothing is lost if
            # this receiver fails or never runs.
            shipments_refresh_customs_due()

        calendar_changed.connect(refresh_customs_windows, weak=False, dispatch_uid="suppliers_customs_windows")

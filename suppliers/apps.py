from django.apps import AppConfig


class SuppliersConfig(AppConfig):
    """Commercial operations: suppliers, purchase orders, shipments and their drawdown."""

    name = "suppliers"
    verbose_name = "Suppliers and shipments"

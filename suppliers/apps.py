from django.apps import AppConfig


class SuppliersConfig(AppConfig):
    """The commercial master data: suppliers and purchase orders with their lines."""

    name = "suppliers"
    verbose_name = "Suppliers and purchase orders"

from django.apps import AppConfig


class LicensingConfig(AppConfig):
    """The regulatory core: items, applications, the statutory clock, licences, policy."""

    name = "licensing"
    verbose_name = "Licensing"

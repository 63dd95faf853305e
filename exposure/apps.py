from django.apps import AppConfig


class ExposureConfig(AppConfig):
    """Own products and their rare-earth content, the FX table, the 0.1 % test, the impact of
    each policy event and the what-if page (docs/exposure.md). Above shipments, below
    notifications."""

    name = "exposure"
    verbose_name = "Exposure"

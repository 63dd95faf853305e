from django.apps import AppConfig


class ExposureConfig(AppConfig):
    """Own products and their rare-earth content, the FX table, the 0.1 % test, the impact of
    each policy event and the what-if page (docs/exposure.md). Above shipments, below
    notifications."""

    name = "exposure"
    verbose_name = "Exposure"

    def ready(self) -> None:
        from licensing.views import policy

        from .impact import impact_counts
        from .views import event_impact_panel

        # The policy pages show the impact without licensing importing this app.
        if event_impact_panel not in policy.DETAIL_PANELS:
            policy.DETAIL_PANELS.append(event_impact_panel)
        if impact_counts not in policy.EVENT_COUNTERS:
            policy.EVENT_COUNTERS.append(impact_counts)

from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    """Shipments and their lines, the drawdown of licences, customs holds, shipment imports and
    bulk upserts, and purchase orders at risk."""

    name = "shipments"
    verbose_name = "Shipments"

    def ready(self) -> None:
        from licensing import services as licensing_services
        from licensing.signals import application_status_changed, calendar_changed

        from .selectors import licence_drawing_shipments
        from .services import shipments_refresh_customs_due
        from .tasks import refresh_analytics_on_decision

        def refresh_customs_windows(**kwargs) -> None:
            # A wake-up only: the periodic scan also calls the service, so nothing is lost if
            # this receiver fails or never runs.
            shipments_refresh_customs_due()

        calendar_changed.connect(refresh_customs_windows, weak=False, dispatch_uid="shipments_customs_windows")
        application_status_changed.connect(refresh_analytics_on_decision, dispatch_uid="shipments.analytics.decision")
        if licence_drawing_shipments not in licensing_services.LICENCE_DRAWN_BY:
            licensing_services.LICENCE_DRAWN_BY.append(licence_drawing_shipments)

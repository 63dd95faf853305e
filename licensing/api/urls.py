from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views
from .analytics import DelayAnalyticsView

router = SimpleRouter()
router.register("items", views.ControlledItemViewSet, basename="api-item")
router.register("applications", views.ApplicationViewSet, basename="api-application")
router.register("policy-events", views.PolicyEventViewSet, basename="api-policy-event")

urlpatterns = [
    path("analytics/delays/", DelayAnalyticsView.as_view(), name="analytics-delays"),
    *router.urls,
]

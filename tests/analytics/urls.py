"""Test-only routes: the lead wires ``analytics/delays/`` into licensing/api/urls.py."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from licensing.api.analytics import DelayAnalyticsView

urlpatterns = [
    path("api/v1/analytics/delays/", DelayAnalyticsView.as_view(), name="analytics-delays"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
]

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("products", views.ProductViewSet, basename="api-product")
router.register("fx-rates", views.FxRateViewSet, basename="api-fx-rate")

urlpatterns = [
    *router.urls,
    path("what-if/", views.WhatIfViewSet.as_view({"get": "list"}), name="api-what-if"),
    path(
        "policy-events/<str:pk>/impact/", views.PolicyImpactViewSet.as_view({"get": "retrieve"}),
        name="api-policy-event-impact",
    ),
]

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("items", views.ControlledItemViewSet, basename="api-item")
router.register("applications", views.ApplicationViewSet, basename="api-application")
router.register("policy-events", views.PolicyEventViewSet, basename="api-policy-event")

urlpatterns = router.urls

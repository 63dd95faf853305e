from rest_framework.routers import SimpleRouter

from .views import AlertViewSet, WebhookEndpointViewSet

router = SimpleRouter()
router.register("alerts", AlertViewSet, basename="alert")
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
urlpatterns = router.urls

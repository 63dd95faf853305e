from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("products", views.ProductViewSet, basename="api-product")
router.register("fx-rates", views.FxRateViewSet, basename="api-fx-rate")

urlpatterns = router.urls

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("suppliers", views.SupplierViewSet, basename="api-supplier")
router.register("purchase-orders", views.PurchaseOrderViewSet, basename="api-purchase-order")
router.register("shipments", views.ShipmentViewSet, basename="api-shipment")
router.register("licences", views.LicenceViewSet, basename="api-licence")

urlpatterns = router.urls

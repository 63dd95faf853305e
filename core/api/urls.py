from rest_framework.routers import SimpleRouter

from .deletions import DeletionViewSet

router = SimpleRouter()
router.register("deletions", DeletionViewSet, basename="api-deletion")

urlpatterns = router.urls

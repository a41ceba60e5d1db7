"""The visitors API under /api/v1/ (API.md ``visits/``)."""

from rest_framework.routers import SimpleRouter

from visitors.api.views import VisitViewSet

router = SimpleRouter()
router.register("visits", VisitViewSet, basename="visits")

urlpatterns = router.urls

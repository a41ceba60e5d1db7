"""The complaints API under /api/v1/ (API.md).

``complaints/stats/`` is a list-level action, so the router puts it before the
``complaints/<pk>/`` detail route.
"""

from rest_framework.routers import SimpleRouter

from complaints.api.views import ComplaintViewSet

router = SimpleRouter()
router.register("complaints", ComplaintViewSet, basename="complaints")

urlpatterns = router.urls

"""The decoration API under /api/v1/ (API.md ``decoration/permits/`` and the other
``decoration/*`` resources)."""

from rest_framework.routers import SimpleRouter

from decoration.api.views import (
    ApplicationViewSet,
    ConstructionNoticeViewSet,
    HotWorkViewSet,
    InspectionViewSet,
    PermitViewSet,
    RectificationNoticeViewSet,
    WorkerPassViewSet,
)

router = SimpleRouter()
router.register("decoration/permits", PermitViewSet, basename="decoration-permits")
# Passes hang from their permit: the permit is resolved in the caller's scope first.
router.register(
    r"decoration/permits/(?P<permit_id>[0-9]+)/passes",
    WorkerPassViewSet,
    basename="decoration-passes",
)
router.register("decoration/hot-works", HotWorkViewSet, basename="decoration-hot-works")
router.register("decoration/applications", ApplicationViewSet, basename="decoration-applications")
router.register(
    "decoration/construction-notices",
    ConstructionNoticeViewSet,
    basename="decoration-construction-notices",
)
router.register("decoration/inspections", InspectionViewSet, basename="decoration-inspections")
router.register(
    "decoration/rectification-notices",
    RectificationNoticeViewSet,
    basename="decoration-rectification-notices",
)

urlpatterns = router.urls

"""The key custody API under /api/v1/ (API.md ``keys/``, ``key-loans/`` and the other
``key-*`` resources)."""

from rest_framework.routers import SimpleRouter

from keys.api.views import (
    KeyEmergencyViewSet,
    KeyEntrustmentViewSet,
    KeyHandoverViewSet,
    KeyLoanViewSet,
    KeyLockChangeViewSet,
    KeyReportViewSet,
    KeyViewSet,
)

router = SimpleRouter()
router.register("keys", KeyViewSet, basename="keys")
router.register("key-loans", KeyLoanViewSet, basename="key-loans")
router.register("key-entrustments", KeyEntrustmentViewSet, basename="key-entrustments")
router.register("key-emergencies", KeyEmergencyViewSet, basename="key-emergencies")
router.register("key-lock-changes", KeyLockChangeViewSet, basename="key-lock-changes")
router.register("key-handovers", KeyHandoverViewSet, basename="key-handovers")
router.register("key-reports", KeyReportViewSet, basename="key-reports")

urlpatterns = router.urls

"""The appraisal API under /api/v1/appraisal/ (API.md ``appraisal/checks/``).

``appraisal/suggestions/refresh/`` is a list-level action, so the router puts it
before the ``appraisal/suggestions/<pk>/`` detail route.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from appraisal.api.views import (
    AnnualView,
    AssessmentViewSet,
    CriteriaSetViewSet,
    SuggestionViewSet,
    TrainingResultViewSet,
)

router = SimpleRouter()
router.register("appraisal/checks", AssessmentViewSet, basename="appraisal-checks")
router.register("appraisal/criteria", CriteriaSetViewSet, basename="appraisal-criteria")
router.register("appraisal/suggestions", SuggestionViewSet, basename="appraisal-suggestions")
router.register("appraisal/training", TrainingResultViewSet, basename="appraisal-training")

urlpatterns = [
    path(
        "appraisal/annual/<int:staff_id>/<int:year>/",
        AnnualView.as_view(),
        name="appraisal-annual",
    ),
    *router.urls,
]

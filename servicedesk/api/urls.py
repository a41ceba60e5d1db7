from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from servicedesk.api.views import ResidentViewSet, StaffViewSet, UnitViewSet
from servicedesk.security.login import ThrottledObtainAuthToken

router = DefaultRouter()
router.register("staff", StaffViewSet, basename="staff")
router.register("units", UnitViewSet, basename="units")
router.register("residents", ResidentViewSet, basename="residents")

# The split view serves Swagger UI's start-up script from ?script (no inline
# script, so script-src stays 'self'); its page still carries a 3-line <style>
# element, the one CSP exception (docs/security.md).
api_docs = csp_update({"style-src": ["'unsafe-inline'"]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", api_docs, name="api-docs"),
    # Failed logins are limited and logged (servicedesk.security.login).
    path("v1/auth/token/", ThrottledObtainAuthToken.as_view(), name="api-token"),
    path("v1/", include(router.urls)),
    path("v1/", include("complaints.api.urls")),
    path("v1/", include("visitors.api.urls")),
    path("v1/", include("appraisal.api.urls")),
    path("v1/", include("keys.api.urls")),
    path("v1/", include("decoration.api.urls")),
]

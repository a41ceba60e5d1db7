from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from servicedesk.api.views import ResidentViewSet, StaffViewSet, UnitViewSet

router = DefaultRouter()
router.register("staff", StaffViewSet, basename="staff")
router.register("units", UnitViewSet, basename="units")
router.register("residents", ResidentViewSet, basename="residents")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("v1/auth/token/", obtain_auth_token, name="api-token"),
    path("v1/", include(router.urls)),
    path("v1/", include("complaints.api.urls")),
    path("v1/", include("visitors.api.urls")),
    path("v1/", include("appraisal.api.urls")),
    path("v1/", include("keys.api.urls")),
]

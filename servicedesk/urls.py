from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

urlpatterns = [
    path("", include("servicedesk.web.urls")),
    path("units/", include("servicedesk.core.urls")),
    path("complaints/", include("complaints.urls")),
    path("appraisal/", include("appraisal.urls")),
    path("decoration/", include("decoration.urls")),
    path("keys/", include("keys.urls")),
    path("visitors/", include("visitors.urls")),
    path("api/", include("servicedesk.api.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]

# JSON for /api/ URLs that route nowhere, 404.html for the rest.
handler404 = "servicedesk.api.views.not_found"

admin.site.site_header = "客服部管理后台"
admin.site.site_title = "客服部"
admin.site.index_title = "规则与基础资料"

# MEDIA_ROOT is never served as such, not even in DEBUG: uploads (photos) go out
# only through their scoped views, e.g. complaints:photo.

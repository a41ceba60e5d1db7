"""The complaint desk's pages under /complaints/ (namespace ``complaints``)."""

from complaints import pdf_views, stats_views, views

app_name = "complaints"
urlpatterns = [*views.urlpatterns, *pdf_views.urlpatterns, *stats_views.urlpatterns]

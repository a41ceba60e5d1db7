"""The visitor desk's pages under /visitors/ (namespace ``visitors``)."""

from visitors import pdf_views, views

app_name = "visitors"
urlpatterns = [*views.urlpatterns, *pdf_views.urlpatterns]

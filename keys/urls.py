"""Key custody pages under /keys/ (namespace ``keys``)."""

from keys import pdf_views, views

app_name = "keys"
urlpatterns = [*views.urlpatterns, *pdf_views.urlpatterns]

"""Appraisal pages under /appraisal/ (namespace ``appraisal``)."""

from appraisal import pdf_views, views

app_name = "appraisal"
urlpatterns = [*views.urlpatterns, *pdf_views.urlpatterns]

from django.urls import path

from servicedesk.web import views

urlpatterns = [
    path("", views.home, name="home"),
]

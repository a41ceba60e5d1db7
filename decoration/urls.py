from django.urls import path

from decoration import views

app_name = "decoration"

urlpatterns = [
    path("permits/<int:pk>/", views.permit_detail, name="permit"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
]

from django.contrib.auth import views as auth_views
from django.urls import path

from servicedesk.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.DeskLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications-read-all"),
    path("notifications/<int:pk>/", views.notification_open, name="notification-open"),
]

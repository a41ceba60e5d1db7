"""Decoration pages under /decoration/ (namespace ``decoration``).

``permit`` and ``notice`` are reversed by the services and the deadline checks
(notification links); the PDF routes live in ``decoration.pdf_urls``.
"""

from django.urls import include, path

from decoration import views

app_name = "decoration"

urlpatterns = [
    path("", views.board, name="board"),
    path("permits/new/", views.permit_new, name="permit_new"),
    path("permits/<int:pk>/", views.permit_detail, name="permit"),
    *views.permit_action_paths(),
    path("drawings/<int:pk>/", views.drawing_file, name="drawing"),
    path("inspection-photos/<int:pk>/", views.inspection_photo, name="inspection_photo"),
    path("pass-photos/<int:pk>/", views.pass_photo, name="pass_photo"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/new/", views.notice_new, name="notice_new"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    *views.notice_action_paths(),
    path("portal/", views.portal, name="portal"),
    path("portal/new/", views.portal_new, name="portal_new"),
    path("", include("decoration.pdf_urls")),
]

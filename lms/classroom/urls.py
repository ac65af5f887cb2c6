from django.urls import path

from lms.classroom import hls_views, views

app_name = "classroom"

urlpatterns = [
    path("classroom/<int:session_id>/", views.live_room, name="room"),
    path(
        "live-hls/<str:signature>/<str:expires>/<str:folder>/<str:name>",
        hls_views.live_hls_file,
        name="live_hls_file",
    ),
]

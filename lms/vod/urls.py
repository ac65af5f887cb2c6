"""Pages of lms.vod (mounted at the site root)."""

from django.urls import path

from lms.vod import views

app_name = "vod"

urlpatterns = [
    path("vod/<str:token>/<str:folder>/<path:name>", views.vod_file, name="file"),
]

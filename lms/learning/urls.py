"""Pages of lms.learning (mounted at the site root)."""

from django.urls import path

from lms.learning import views

app_name = "learning"

urlpatterns = [
    path("me/videos/<int:pk>/", views.watch, name="watch"),
]

"""URL patterns, included by lms/attendance/urls.py."""

from django.urls import path

from lms.attendance import hours_views

urlpatterns = [
    path("me/hours/", hours_views.my_hours, name="my_hours"),
]

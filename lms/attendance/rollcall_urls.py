"""URL patterns, included by lms/attendance/urls.py: the member's leave request page."""

from django.urls import path

from lms.attendance import rollcall_views

urlpatterns = [
    path("attendance/sessions/<int:pk>/leave/", rollcall_views.leave_request, name="leave_request"),
]

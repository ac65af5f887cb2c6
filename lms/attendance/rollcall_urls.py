"""URL patterns, included by lms/attendance/urls.py: the member's leave request pages (one session,
one day of a class, the whole class)."""

from django.urls import path

from lms.attendance import rollcall_views

urlpatterns = [
    path("attendance/sessions/<int:pk>/leave/", rollcall_views.leave_request, name="leave_request"),
    path(
        "attendance/classes/<int:pk>/days/<str:day>/leave/",
        rollcall_views.leave_request_day,
        name="leave_request_day",
    ),
    path(
        "attendance/classes/<int:pk>/leave/",
        rollcall_views.leave_request_class,
        name="leave_request_class",
    ),
]

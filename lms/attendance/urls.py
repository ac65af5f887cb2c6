"""Attendance URLs: the venue screen and sign-in (venue_urls), roll call and leave (rollcall_urls),
and hours pages (hours_urls)."""

from django.urls import include, path

app_name = "attendance"

urlpatterns = [
    path("", include("lms.attendance.venue_urls")),
    path("", include("lms.attendance.rollcall_urls")),
    path("", include("lms.attendance.hours_urls")),
]

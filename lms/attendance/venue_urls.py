"""URL patterns of the venue screen and the QR sign-in landing, included by lms/attendance/urls.py."""

from django.urls import path

from lms.attendance import venue

urlpatterns = [
    path("attendance/sessions/<int:pk>/venue/", venue.venue, name="venue"),
    path("attendance/sessions/<int:pk>/venue/live/", venue.venue_live, name="venue_live"),
    path("attendance/sessions/<int:pk>/venue/add-member/", venue.venue_add_member, name="venue_add_member"),
    path("checkin/<str:code>/", venue.checkin, name="checkin"),
]

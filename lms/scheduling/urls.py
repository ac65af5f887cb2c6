"""Member-facing scheduling pages and the calendar feed (mounted at the site root)."""

from django.urls import path

from lms.scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("me/classes/", views.my_classes, name="my_classes"),
    path("me/classes/<int:pk>/join/", views.class_join, name="class_join"),
    path("me/classes/<int:pk>/withdraw/", views.class_withdraw, name="class_withdraw"),
    path("me/calendar/reset/", views.calendar_reset, name="calendar_reset"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]

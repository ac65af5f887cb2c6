"""Pages of lms.notifications (mounted at the site root)."""

from django.urls import path

from lms.notifications import views

app_name = "notifications"

urlpatterns = [
    path("me/notifications/", views.notification_list, name="list"),
    path("me/notifications/read-all/", views.notifications_read_all, name="read_all"),
    path("me/notifications/settings/", views.notification_preferences, name="preferences"),
    path("me/notifications/<int:pk>/read/", views.notification_read, name="read"),
    path("me/notifications/<int:pk>/open/", views.notification_open, name="open"),
]

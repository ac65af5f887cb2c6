"""URL patterns, included by lms/attendance/urls.py."""

urlpatterns = []

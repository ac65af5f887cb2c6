"""Pages of lms.notifications (mounted at the site root)."""

app_name = "notifications"

urlpatterns = []

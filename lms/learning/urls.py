"""Pages of lms.learning (mounted at the site root)."""

app_name = "learning"

urlpatterns = []

"""Pages of lms.stats (mounted at the site root)."""

app_name = "stats"

urlpatterns = []

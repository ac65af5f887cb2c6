"""Pages of lms.vod (mounted at the site root)."""

app_name = "vod"

urlpatterns = []

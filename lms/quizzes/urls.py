"""Pages of lms.quizzes (mounted at the site root)."""

app_name = "quizzes"

urlpatterns = []

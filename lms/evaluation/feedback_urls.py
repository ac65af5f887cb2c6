"""The teacher's own feedback pages and the printable yearly report of a teacher (plain pages, not
the admin: teachers have no admin access). Included from lms/urls.py."""

from django.urls import path

from lms.evaluation import feedback_views, teacher_report_views

app_name = "evaluation_feedback"

urlpatterns = [
    path("me/feedback/", feedback_views.my_feedback, name="my_feedback"),
    path("me/feedback/sessions/<int:session_id>/", feedback_views.my_session_feedback, name="session"),
    path(
        "evaluation/teachers/<int:teacher_id>/<int:year>/",
        teacher_report_views.teacher_report,
        name="teacher_report",
    ),
]

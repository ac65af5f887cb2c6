"""Pages of lms.quizzes (mounted at the site root)."""

from django.urls import path

from lms.quizzes import admin_views, views

app_name = "quizzes"

urlpatterns = [
    path("me/quizzes/", views.my_quizzes, name="mine"),
    path("me/quizzes/<int:paper_id>/start/", views.start, name="start"),
    path("me/quizzes/attempts/<int:attempt_id>/", views.attempt, name="attempt"),
    path("me/quizzes/attempts/<int:attempt_id>/result/", views.result, name="result"),
    path("quizzes/marking/", admin_views.marking_queue, name="marking"),
    path("quizzes/marking/<int:slot_id>/", admin_views.mark_essay, name="mark"),
]

"""Member pages of the teacher evaluation."""

from django.urls import path

from lms.evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("me/evaluations/", views.my_evaluations, name="my_evaluations"),
    path("me/evaluations/<int:session_id>/", views.evaluate, name="evaluate"),
    path("me/evaluations/<int:session_id>/thanks/", views.thanks, name="thanks"),
]

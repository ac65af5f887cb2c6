from django.urls import path

from courses import learning_views as views

app_name = "course_learning"

urlpatterns = [
    path("me/learning/", views.my_learning, name="my_learning"),
    path("me/learning/<int:course_id>/", views.course_detail, name="course"),
    path("me/learning/<int:course_id>/<int:lesson_id>/", views.lesson_detail, name="lesson"),
    path("me/learning/<int:course_id>/<int:lesson_id>/read/", views.lesson_mark_read, name="mark_read"),
    path("me/learning/<int:course_id>/<int:lesson_id>/document/", views.lesson_document, name="document"),
]

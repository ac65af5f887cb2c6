from django.urls import path

from lms.classroom import views

app_name = "classroom"

urlpatterns = [path("classroom/<int:session_id>/", views.live_room, name="room")]

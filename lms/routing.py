"""Websocket routes. Each app adds its consumers here (the classroom issue adds /ws/classroom/)."""

from django.urls import path

from lms.classroom.consumers import ClassroomConsumer
from lms.consumers import PingConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
    path("ws/classroom/<int:session_id>/", ClassroomConsumer.as_asgi()),
]

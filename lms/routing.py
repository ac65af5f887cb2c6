"""Websocket routes. Each app adds its consumers here (the classroom issue adds /ws/classroom/)."""

from django.urls import path

from lms.consumers import PingConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
]

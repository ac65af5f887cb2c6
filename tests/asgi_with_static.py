"""The project's ASGI app, plus static files for HTTP (what `runserver` adds in development), for
browser tests that run the real server process (uvicorn) without collected static files."""

from channels.routing import ProtocolTypeRouter
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from lms.asgi import application as project
from lms.asgi import django_asgi_app

application = ProtocolTypeRouter({"http": ASGIStaticFilesHandler(django_asgi_app), "websocket": project})

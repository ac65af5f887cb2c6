"""The project's ASGI app, plus static files for HTTP (what `runserver` adds in development), for
browser tests that run the real server process (uvicorn) without collected static files. Its clock
runs as the test's that started it (`tests.clock.follow_parent_clock`)."""

from channels.routing import ProtocolTypeRouter
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from lms.asgi import application as project
from lms.asgi import django_asgi_app
from tests.clock import follow_parent_clock

follow_parent_clock()

application = ProtocolTypeRouter({"http": ASGIStaticFilesHandler(django_asgi_app), "websocket": project})

"""The server the sign-in benchmark runs: the platform's own ASGI application with one more URL,
`/bench/login-floor/`, the cheapest page a logged-in member can get (the session and the user are
loaded, the answer is the user's name). Every member page pays that much before doing anything, so
its throughput is the ceiling of what any member page can reach on this stack; the benchmark prints
it next to /healthz/. It exists only here: production and `make run` serve lms.asgi.
BENCH_ONE_HOP=1 serves HTTP through a sync middleware chain entered once per request (an experiment,
see below; checkin_burst.py then says so in its figures)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's lms, not another's
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

import django

django.setup()

from django.contrib.auth.decorators import login_required  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import clear_url_caches, path  # noqa: E402

import lms.urls  # noqa: E402


@login_required
def login_floor(request):
    return HttpResponse(request.user.first_name, content_type="text/plain; charset=utf-8")


lms.urls.urlpatterns.insert(0, path("bench/login-floor/", login_floor))
clear_url_caches()

from lms.asgi import application  # noqa: E402

if os.environ.get("BENCH_ONE_HOP"):
    # An experiment, not what production serves: Django runs each middleware's sync hooks through
    # its own sync_to_async hop (two per middleware, ~30 per request); built as a sync chain, a
    # request makes one. Every page gains the same ~1.5 ms of CPU, /healthz/ included, so the
    # ratios to /healthz/ fall while every page's throughput rises.
    from asgiref.sync import sync_to_async
    from django.core.handlers.asgi import ASGIHandler

    class OneHopASGIHandler(ASGIHandler):
        def load_middleware(self, is_async=False):
            super().load_middleware(is_async=False)
            self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)

    application.application_mapping["http"] = OneHopASGIHandler()

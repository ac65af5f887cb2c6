"""The server the sign-in benchmark runs: the platform's own ASGI application with one more URL,
`/bench/login-floor/`, the cheapest page a logged-in member can get (the session and the user are
loaded, the answer is the user's name). Every member page pays that much before doing anything, so
its throughput is the ceiling of what any member page can reach on this stack; the benchmark prints
it next to /healthz/. It exists only here: production and `make run` serve lms.asgi."""

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

from lms.asgi import application  # noqa: E402, F401

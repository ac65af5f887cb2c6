"""`{% site_header %}`: the top bar of every page (base.html), built once per process and language.

The bar's words and links are the same on every page in a language, yet rendering them through the
template engine (the bell, two forms with their CSRF token, the language switcher) took ~1.5 ms of
CPU on every page: about what the rest of a small member page costs. So the bar is rendered once per
language, script prefix and signed-in state, with markers where each answer's own values go, and each
answer joins the pieces with its values: the bell (its unread count), the CSRF token (one masked
token for both forms, as `get_token` gives the same secret anyway) and the path the language
switcher sends the member back to (escaped here, as the template would).

Nothing else may vary per request in includes/site_header.html: a variable the template reads from
the request would be frozen at its first value, and tests/test_site_header.py compares the joined bar
with the template rendered for the same request.
"""

import re
from types import SimpleNamespace

from django import template
from django.conf import settings
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from lms.notifications.bell import bell_html

register = template.Library()

TEMPLATE = "includes/site_header.html"
MARKER = re.compile(r"\x00(bell|csrf|next)\x00")
_built: dict[tuple, list[str]] = {}


def _marker(name: str) -> str:
    return f"\x00{name}\x00"


def _pieces(language: str, signed_in: bool) -> list[str]:
    """The bar's text split at its markers: [text, name, text, name, …, text]."""
    key = (language, get_script_prefix(), signed_in)
    pieces = _built.get(key)
    if pieces is None:
        html = get_template(TEMPLATE).render(
            {
                "user": SimpleNamespace(is_authenticated=signed_in),
                "request": SimpleNamespace(get_full_path=lambda: _marker("next")),
                "csrf_token": _marker("csrf"),
                "bell": mark_safe(_marker("bell")),  # noqa: S308 (a marker, replaced below)
                "LANGUAGES": settings.LANGUAGES,
                "LANGUAGE_CODE": language,
            }
        )
        pieces = _built[key] = MARKER.split(html)
    return pieces


@register.simple_tag(takes_context=True)
def site_header(context) -> str:
    request = context.get("request")  # None on a page rendered without one (a bare 500 page)
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    values = {
        "bell": bell_html(user) if signed_in else "",
        "csrf": get_token(request) if request is not None else "",
        "next": escape(request.get_full_path()) if request is not None else "",
    }
    pieces = _pieces(get_language(), signed_in)
    joined = [piece if index % 2 == 0 else values[piece] for index, piece in enumerate(pieces)]
    return mark_safe("".join(joined))  # noqa: S308 (our template's text, the bell's, and escaped values)

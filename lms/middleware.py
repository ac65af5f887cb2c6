"""The project's middleware: the language, and requests no view should see.

Language selection: Simplified Chinese unless the user picked another language with the switcher.

Django's LocaleMiddleware would follow the browser's Accept-Language, so a township office PC or a
phone set up in English would show English to users who expect Chinese. Here only the language
cookie (set by /i18n/setlang/) changes the language; everyone else gets LANGUAGE_CODE.
"""

import logging
import re
from functools import lru_cache

from django.conf import settings
from django.db import DataError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


logger = logging.getLogger(__name__)
NUL = "\x00"
# A JSON string holding U+0000: "\u0000" not preceded by an escaped backslash.
JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)


class HostileInputMiddleware(MiddlewareMixin):
    """Answer 400, with a message, to input no page or API route can use, before it turns into a 500.

    - A NUL byte in the path, query, form fields, JSON body or cookies: PostgreSQL cannot store or
      compare text holding one, so it reached the database as a 500 (the member search, the site
      search, the calendar link). Refused before any view runs.
    - A number beyond what the database or the calendar can hold (an id of 2**70, a page far past the
      end, a year 9999 plus a day): whichever view meets it raises OverflowError or DataError, answered
      here as 400 instead of a server error.
    The API gets its usual JSON error body (`detail`, `errors`, `reason`).
    """

    def process_request(self, request):
        where = self.nul_in(request)
        if where is None:
            return None
        return self.refusal(request, where, "nul_character", _("The request holds a NUL character."))

    def process_exception(self, request, exception):
        if isinstance(exception, OverflowError | DataError):
            detail, reason = _("A value in the request is out of range."), "out_of_range"
        elif raised_by_field_lookup(exception):
            detail, reason = _("A value in the request is not of the right kind."), "wrong_type"
        else:
            return None
        logger.warning("Refused input on %s: %s", request.path, exception)
        return self.refusal(request, "request", reason, detail)

    @staticmethod
    def nul_in(request) -> str | None:
        if NUL in request.path:
            return "path"
        for name, values in request.GET.lists():
            if NUL in name or any(NUL in value for value in values):
                return name.replace(NUL, "")
        for name, value in request.COOKIES.items():
            if NUL in name or NUL in value:
                return "cookie"
        if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
            content_type = request.content_type or ""
            if content_type == "application/json":
                if b"\x00" in request.body or JSON_NUL.search(request.body):
                    return "body"
            elif content_type == "application/x-www-form-urlencoded" or (
                # Parsing a multipart body here would stop the API from reading it as JSON.
                content_type == "multipart/form-data" and not request.path.startswith("/api/")
            ):
                for name, values in request.POST.lists():
                    if NUL in name or any(NUL in value for value in values):
                        return name.replace(NUL, "")
        return None

    @staticmethod
    def refusal(request, where: str, reason: str, detail: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            body = {"detail": detail, "errors": {where: [detail]}, "reason": reason}
            return JsonResponse(body, status=400)
        return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")


def raised_by_field_lookup(exception: Exception) -> bool:
    """A ValueError or TypeError from a model field preparing a lookup value: a URL's id that is not
    a number (Wagtail's choosers take `<str:pk>`). Raised in Django's fields, not in our code."""
    if not isinstance(exception, ValueError | TypeError) or exception.__traceback__ is None:
        return False
    innermost = exception.__traceback__
    while innermost.tb_next is not None:
        innermost = innermost.tb_next
    frame = innermost.tb_frame
    return frame.f_code.co_name == "get_prep_value" and frame.f_globals.get("__name__", "").startswith(
        "django.db.models.fields"
    )


class SecurityHeaderExceptionsMiddleware(MiddlewareMixin):
    """The two places that need more than the site-wide Content-Security-Policy and
    Permissions-Policy (settings: SECURITY_HEADERS). Sits inside csp's and permissions-policy's
    middleware, which read what it leaves on the response.

    - Wagtail's admin (and the API docs) run inline scripts without nonces (date pickers, panels,
      choosers): there `script-src` allows inline scripts, and keeps everything else of the policy.
    - The live room is the one page that may use the camera, microphone and screen sharing.
    """

    def process_response(self, request, response):
        if request.path_info.startswith(settings.CSP_INLINE_SCRIPT_PREFIXES):
            response._csp_replace = {**(getattr(response, "_csp_replace", None) or {}), **CSP_ADMIN}
        match = getattr(request, "resolver_match", None)
        if match is not None and match.view_name in settings.PERMISSIONS_POLICY_MEDIA_VIEWS:
            response._permissions_policy_override = media_policy_header()
        return response


CSP_ADMIN = {"script-src": ["'self'", "'unsafe-inline'"]}


@lru_cache(maxsize=1)
def media_policy_header() -> str:
    from django_permissions_policy import PermissionsPolicyMiddleware

    policy = {**settings.PERMISSIONS_POLICY, **settings.PERMISSIONS_POLICY_MEDIA}
    return PermissionsPolicyMiddleware.compute_header_value(policy, name="PERMISSIONS_POLICY_MEDIA")

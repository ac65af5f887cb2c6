"""The JSON API under /api/v1/ (django-ninja). Each app contributes a router.

Auth: a bearer token from POST /api/v1/auth/token (mobile app), or the browser session (with CSRF
on unsafe methods).
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from lms.people.tokens import api_token_user

try:
    from psycopg_pool import PoolTimeout, TooManyRequests

    POOL_BUSY = (PoolTimeout, TooManyRequests)
except ImportError:  # no pool without psycopg 3
    POOL_BUSY = ()
BUSY_RETRY_SECONDS = 5


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


# Answers any route may give besides those it declares: from authentication (401), the global
# PermissionDenied handler (403), input validation (422) and the NUL-byte guard in front of every
# route (400, lms/middleware.py). Added to the OpenAPI schema so clients and schemathesis know them.
DETAIL = {"type": "string"}
ERRORS_BY_FIELD = {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}
COMMON_ANSWERS = {
    400: (
        "The request is not valid (e.g. a NUL character in a parameter).",
        {"detail": DETAIL, "errors": ERRORS_BY_FIELD},
    ),
    401: ("Authentication required.", {"detail": DETAIL}),
    403: ("The user may not do this.", {"detail": DETAIL}),
    422: (
        "A parameter or the body does not match the schema; `errors` lists each problem.",
        {"detail": DETAIL, "errors": {"type": "array", "items": {"type": "object"}}},
    ),
}


class DocumentedAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for methods in schema["paths"].values():
            for operation in methods.values():
                add_common_answers(operation)
        return schema


def add_common_answers(operation: dict) -> None:
    has_input = bool(operation.get("parameters") or operation.get("requestBody"))
    authenticated = bool(operation.get("security"))
    for status, (description, properties) in COMMON_ANSWERS.items():
        applies = {400: has_input, 401: authenticated, 403: authenticated, 422: has_input}[status]
        if applies and status not in operation["responses"] and str(status) not in operation["responses"]:
            body = {"type": "object", "properties": properties, "required": list(properties)}
            operation["responses"][status] = {
                "description": description,
                "content": {"application/json": {"schema": body}},
            }


api = DocumentedAPI(
    title="三级党校培训平台 API",
    version="1.0.0",
    urls_namespace="api-v1",
    auth=[BearerToken(), django_auth],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request, exc):
    return api.create_response(
        request, {"detail": _("Authentication required: log in or send a valid bearer token.")}, status=401
    )


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    """Ninja's own refusals (a body that is not JSON, a failed CSRF check): a 400 says what was wrong
    in the same shape as every other 400."""
    if exc.status_code != 400:
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
    detail = _("The request body is not valid JSON.")
    body = {"detail": detail, "errors": {"body": [detail]}, "reason": "invalid_body"}
    return api.create_response(request, body, status=400)


@api.exception_handler(OperationalError)
def on_database_busy(request, exc):
    """Every connection of the process's pool stayed busy for DB_POOL_TIMEOUT (an overload): a 503
    the client sends again after Retry-After (the player keeps what it has not sent), not a 500.
    Other database errors stay errors."""
    if not isinstance(exc.__cause__, POOL_BUSY):
        raise exc
    body = {"detail": _("The server is busy. Try again in a few seconds."), "code": "busy"}
    response = api.create_response(request, body, status=503)
    response["Retry-After"] = str(BUSY_RETRY_SECONDS)
    return response


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    return api.create_response(
        request, {"detail": _("The request is not valid."), "errors": exc.errors}, status=422
    )


from lms.people.api import router as people_router  # noqa: E402
from lms.people.api import validation_error_payload  # noqa: E402

api.add_router("", people_router)

from lms.scheduling.api import router as scheduling_router  # noqa: E402

api.add_router("", scheduling_router)

from lms.attendance.api import router as attendance_router  # noqa: E402

api.add_router("", attendance_router)

from lms.evaluation.api import router as evaluation_router  # noqa: E402

api.add_router("", evaluation_router)

from lms.learning.api import router as learning_router  # noqa: E402
from lms.notifications.api import router as notifications_router  # noqa: E402
from lms.quizzes.api import router as quizzes_router  # noqa: E402
from lms.stats.api import router as stats_router  # noqa: E402
from lms.vod.api import router as vod_router  # noqa: E402

api.add_router("", vod_router)
api.add_router("", learning_router)
api.add_router("", quizzes_router)
api.add_router("", notifications_router)
api.add_router("", stats_router)
api.add_router("", "courses.api.router")


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return api.create_response(
        request, {"detail": str(exc) or _("You do not have permission to do this.")}, status=403
    )


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request, exc):
    return api.create_response(request, validation_error_payload(exc), status=400)

"""The JSON API under /api/v1/ (django-ninja). Each app contributes a router.

Auth: a bearer token from POST /api/v1/auth/token (mobile app), or the browser session (with CSRF
on unsafe methods).
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, django_auth

from lms.people.tokens import api_token_user


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
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


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return api.create_response(
        request, {"detail": str(exc) or _("You do not have permission to do this.")}, status=403
    )


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request, exc):
    return api.create_response(request, validation_error_payload(exc), status=400)

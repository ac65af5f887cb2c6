"""Login throttling (django-axes): wrong passwords are counted per account and per client address,
on every entry that checks a password through `authenticate(request, ...)`: the member login
(/login/), Wagtail's admin login (/admin/login/) and the API's token route.

An account locks after AXES_FAILURE_LIMIT wrong passwords, an address after
LOGIN_FAILURES_PER_ADDRESS (higher: a township's hall shares one address), each for
AXES_COOLOFF_TIME after its last failure (a failure while locked starts the wait again). A locked
login is refused even with the right password. The lock ends by itself, when the member sets a new
password by SMS, or when staff unlock it (人员 → 登录锁定, lms/accounts/admin_views.py).

Axes keeps one limit for all its lockout parameters; the handler below gives the address its own.
"""

from datetime import timedelta

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_credentials
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def failures(attempts: QuerySet[AccessAttempt]) -> int:
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


def cool_off() -> timedelta:
    return get_cool_off()


def lockout_minutes() -> int:
    return max(1, round(cool_off().total_seconds() / 60))


def lockout_message() -> str:
    return _(
        "Too many wrong passwords: logins for this account or from this network are locked for "
        "%(minutes)s minutes. Set a new password by SMS, or ask your township's party school staff "
        "to unlock your account."
    ) % {"minutes": lockout_minutes()}


class LoginAttemptHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit of its own for the address.

    Axes compares `get_failures` with AXES_FAILURE_LIMIT: it answers the account's count, or the
    limit itself once the address is over LOGIN_FAILURES_PER_ADDRESS.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        by_account = failures(recent.filter(username=username)) if username else 0
        by_address = failures(recent.filter(ip_address=request.axes_ip_address))
        if by_address >= settings.LOGIN_FAILURES_PER_ADDRESS:
            return max(by_account, settings.AXES_FAILURE_LIMIT)
        return by_account

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """After a successful login, forget the account's failures only: the address's stay, or an
        attacker could clear their address's count by logging in to an account of their own."""
        username = get_client_username(request, credentials or get_credentials())
        return account_failures_forget(username) if username else 0


def lockout_response(request, *_args, **_kwargs) -> HttpResponse:
    """What a locked login gets (AXES_LOCKOUT_CALLABLE): 429 with the message, as JSON `detail` on
    the API, else as a page; Retry-After says when to try again."""
    message = lockout_message()
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        admin = request.path.startswith("/admin/")
        response = render(
            request,
            "accounts/locked_out.html",
            {"message": message, "login_url": "wagtailadmin_login" if admin else "login"},
            status=429,
        )
    response["Retry-After"] = str(int(cool_off().total_seconds()))
    return response


def account_failures_forget(username: str) -> int:
    """Forget the wrong passwords typed for `username` (from any address): its lock ends."""
    count, _deleted = AccessAttempt.objects.filter(username=username).delete()
    return count


def address_failures_forget(ip_address: str) -> int:
    count, _deleted = AccessAttempt.objects.filter(ip_address=ip_address).delete()
    return count

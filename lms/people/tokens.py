"""Bearer tokens for the API, kept in Wagtail's own APIToken model (HMAC digest stored, plaintext
shown once, revocable from the admin's user pages). We add an expiry (API_TOKEN_DAYS after creation),
a cap per user (API_TOKENS_PER_USER: a new token revokes the oldest beyond it), revoking the
caller's own token (DELETE /api/v1/auth/token), and revoking all of a user's tokens whenever their
password changes, by whatever path (`ApiTokensRevokedOnPasswordChange`)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import APIToken

from lms.compiled import CompiledQuery, Slot
from lms.people.backends import PROFILE_RELATIONS

APP_TOKEN_NAME = "移动端登录"
BEARER_PREFIX = "bearer "


def api_token_expiry(token: APIToken):
    return token.created + timedelta(days=settings.API_TOKEN_DAYS)


def api_token_issue(*, user) -> tuple[str, APIToken]:
    """A new token for `user`; their open tokens beyond the newest API_TOKENS_PER_USER - 1 are revoked
    (the user's row is locked, so two logins at once cannot both keep a slot)."""
    keep = max(settings.API_TOKENS_PER_USER - 1, 0)
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
        open_ids = list(
            APIToken.objects.filter(user=user, revoked_at__isnull=True)
            .order_by("-created", "-pk")
            .values_list("pk", flat=True)
        )
        if len(open_ids) > keep:
            APIToken.objects.filter(pk__in=open_ids[keep:]).update(revoked_at=timezone.now())
        token, plaintext = APIToken.create_token(user=user, name=APP_TOKEN_NAME)
    return plaintext, token


def _open_token_query(keys: int) -> CompiledQuery:
    """The open token with one of `keys` digests, with its user and their member and teacher
    profiles (as a browser session loads them, see ProfileBackend), compiled once per process: the
    ORM took 1.8 ms of CPU per API request to build this SQL again (lms/compiled.py)."""
    if keys not in _OPEN_TOKEN_QUERIES:
        slots = [Slot(f"hash{n}", f"compiled-slot:key-hash:{n}") for n in range(keys)]
        _OPEN_TOKEN_QUERIES[keys] = CompiledQuery(
            lambda s: (
                APIToken.objects.select_related("user", *(f"user__{r}" for r in PROFILE_RELATIONS))
                .filter(key_hash__in=[getattr(s, slot.name) for slot in slots], revoked_at__isnull=True)
                .order_by("pk")[:1]
            ),
            *slots,
        )
    return _OPEN_TOKEN_QUERIES[keys]


_OPEN_TOKEN_QUERIES: dict[int, CompiledQuery] = {}


def api_token_find(raw: str) -> APIToken | None:
    """The open token a raw value stands for (any user), or None (malformed, unknown, revoked)."""
    if not raw or not APIToken.validate_token_format(raw):
        return None
    hashes = APIToken.candidate_key_hashes(raw)  # one per SECRET_KEY and fallback
    return _open_token_query(len(hashes)).first(**{f"hash{n}": value for n, value in enumerate(hashes)})


def bearer_value(request) -> str:
    header = request.headers.get("Authorization", "")
    return header[len(BEARER_PREFIX) :].strip() if header.lower().startswith(BEARER_PREFIX) else ""


def api_token_user(raw: str):
    """The active user a raw token belongs to, or None (malformed, unknown, revoked, expired)."""
    token = api_token_find(raw)
    now = timezone.now()
    if token is None or api_token_expiry(token) <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        APIToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def api_token_revoke(*, user, raw: str) -> bool:
    """Revoke the token `raw` if it is an open token of `user`; False when there is none."""
    token = api_token_find(raw)
    if token is None or token.user_id != user.pk:
        return False
    return bool(
        APIToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    )


def api_tokens_revoke_all(*, user) -> int:
    return APIToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


class ApiTokensRevokedOnPasswordChange:
    """A password "validator" that validates nothing: Django calls `password_changed` on each of
    AUTH_PASSWORD_VALIDATORS when a user saved after `set_password` (the member's SMS reset, Wagtail's
    account page, staff setting a password, `changepassword`), not on a hash upgrade at login. A new
    password then signs the user's phones out of the API, as it signs other browsers out."""

    def validate(self, password, user=None):
        return None

    def password_changed(self, password, user=None):
        if user is not None and user.pk is not None:
            api_tokens_revoke_all(user=user)

    def get_help_text(self):
        return _("A new password signs the mobile app out on every phone.")

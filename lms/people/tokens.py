"""Bearer tokens for the API, kept in Wagtail's own APIToken model (HMAC digest stored, plaintext
shown once, revocable from the admin's user pages). We add an expiry: API_TOKEN_DAYS after creation."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from wagtail.models import APIToken

APP_TOKEN_NAME = "移动端登录"


def api_token_expiry(token: APIToken):
    return token.created + timedelta(days=settings.API_TOKEN_DAYS)


def api_token_issue(*, user) -> tuple[str, APIToken]:
    token, plaintext = APIToken.create_token(user=user, name=APP_TOKEN_NAME)
    return plaintext, token


def api_token_user(raw: str):
    """The active user a raw token belongs to, or None (malformed, unknown, revoked, expired)."""
    if not raw or not APIToken.validate_token_format(raw):
        return None
    token = (
        APIToken.objects.select_related("user")
        .filter(key_hash__in=APIToken.candidate_key_hashes(raw), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or api_token_expiry(token) <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        APIToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user

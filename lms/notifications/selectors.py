"""Reads about reminders: a person's own notifications (never anyone else's), the unread count for the
bell, the choices their preferences page shows, and (for staff) the deliveries that did not reach
people."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from lms.compiled import CompiledQuery, Slot
from lms.notifications.models import (
    URGENT_KINDS,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from lms.notifications.services import claim_timeout, phones_of, user_language
from lms.notifications.texts import Text, render


def _shown(user_id, now, *, unread_only: bool) -> QuerySet[Notification]:
    rows = Notification.objects.filter(user_id=user_id, shown_at__lte=now)
    return rows.filter(read_at__isnull=True) if unread_only else rows


def notifications_for_user(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications already shown (newest first); nothing for anonymous visitors."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return _shown(user.pk, timezone.now(), unread_only=unread_only).order_by("-shown_at", "-id")


# The bell's count is on every page: compiled once per process (lms/compiled.py).
_UNREAD = CompiledQuery(
    lambda s: _shown(s.user, s.now, unread_only=True),
    Slot("user", -774_000_031),
    Slot("now", datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC)),
    counting=True,
)


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return _UNREAD.count(user=user.pk, now=timezone.now())


def text_of(notification: Notification) -> Text:
    """Its words in the active language (the page's)."""
    return render(notification.kind, notification.context)


@dataclass
class PreferenceChoices:
    language: str
    email_kinds: list[str]
    sms_kinds: list[str]
    has_email: bool
    has_phone: bool
    stored: bool


def preference_choices(user) -> PreferenceChoices:
    """What the preferences page shows as chosen: the stored choice, else the defaults."""
    preference = NotificationPreference.objects.filter(user=user).first()
    has_email, has_phone = bool(user.email), bool(phones_of([user.pk]).get(user.pk))
    if preference is None:
        return PreferenceChoices(
            language=user_language(user),
            email_kinds=list(NotificationKind.values),
            sms_kinds=[kind.value for kind in URGENT_KINDS],
            has_email=has_email,
            has_phone=has_phone,
            stored=False,
        )
    return PreferenceChoices(
        language=user_language(user, preference),
        email_kinds=list(preference.email_kinds),
        sms_kinds=list(preference.sms_kinds),
        has_email=has_email,
        has_phone=has_phone,
        stored=True,
    )


def deliveries_undelivered(now=None) -> QuerySet[Delivery]:
    """E-mail and SMS that did not reach people: failed after NOTIFICATIONS_MAX_ATTEMPTS, or still
    `sending` past NOTIFICATIONS_CLAIM_TIMEOUT (until the next sweep returns them), newest first, with
    their person and notification (one query however many)."""
    now = now or timezone.now()
    stuck = Q(status=DeliveryStatus.SENDING, claimed_at__lte=now - claim_timeout())
    return (
        Delivery.objects.filter(Q(status=DeliveryStatus.FAILED) | stuck)
        .select_related("notification__user")
        .order_by("-due_at", "-id")
    )

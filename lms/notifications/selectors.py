"""Reads about reminders: a person's own notifications (never anyone else's), the unread count for the
bell, and the choices their preferences page shows."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from lms.notifications.models import URGENT_KINDS, Notification, NotificationKind, NotificationPreference
from lms.notifications.services import phones_of, user_language
from lms.notifications.texts import Text, render


def notifications_for_user(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications already shown (newest first); nothing for anonymous visitors."""
    if not user.is_authenticated:
        return Notification.objects.none()
    rows = Notification.objects.filter(user=user, shown_at__lte=timezone.now())
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-shown_at", "-id")


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return notifications_for_user(user, unread_only=True).count()


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

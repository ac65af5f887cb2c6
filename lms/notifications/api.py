"""API routes of lms.notifications under /api/v1/: the user's own notifications (unread count, list,
marking read) and their preferences. Nobody reaches another person's."""

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from lms.notifications import selectors, services
from lms.notifications.models import Notification, NotificationKind
from lms.pagination import MAX_PAGE
from lms.people.api import Message, ValidationMessage

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    body: str
    url: str
    shown_at: datetime
    read_at: datetime | None


class NotificationListOut(Schema):
    unread: int = Field(..., description="Unread notifications (the bell's number)")
    count: int
    page: int
    items: list[NotificationOut]


class ListQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=100)
    unread_only: bool = False


class ReadAllOut(Schema):
    marked: int
    unread: int


class PreferenceOut(Schema):
    language: str
    email_kinds: list[str]
    sms_kinds: list[str]
    has_email: bool
    has_phone: bool
    kinds: dict[str, str] = Field(..., description="Every kind of notification and its name")


class PreferenceIn(Schema):
    """The whole choice (PUT replaces it): "" as the language follows the account's."""

    language: str = Field(..., max_length=10)
    email_kinds: list[NotificationKind] = Field(..., max_length=20)
    sms_kinds: list[NotificationKind] = Field(..., max_length=20)


def notification_payload(notification: Notification) -> dict:
    text = selectors.text_of(notification)
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "kind_label": str(notification.get_kind_display()),
        "title": text.title,
        "body": text.body,
        "url": notification.url,
        "shown_at": notification.shown_at,
        "read_at": notification.read_at,
    }


@router.get("/me/notifications", response=NotificationListOut, summary="My notifications and unread count")
def notification_list(request, query: Query[ListQuery]):
    rows = selectors.notifications_for_user(request.user, unread_only=query.unread_only)
    start = (query.page - 1) * query.page_size
    return {
        "unread": selectors.unread_count(request.user),
        "count": rows.count(),
        "page": query.page,
        "items": [notification_payload(n) for n in rows[start : start + query.page_size]],
    }


@router.post("/me/notifications/read-all", response=ReadAllOut, summary="Mark all my notifications read")
def notification_read_all(request):
    marked = services.notifications_read_all(user=request.user)
    return {"marked": marked, "unread": selectors.unread_count(request.user)}


@router.post(
    "/me/notifications/{notification_id}/read",
    response={200: NotificationOut, 404: Message},
    summary="Mark one of my notifications read",
)
def notification_read(request, notification_id: int):
    try:
        notification = services.notification_read(user=request.user, notification_id=notification_id)
    except Notification.DoesNotExist:
        return 404, {"detail": _("Notification not found")}
    return notification_payload(notification)


def preference_payload(user) -> dict:
    choices = selectors.preference_choices(user)
    return {
        "language": choices.language,
        "email_kinds": choices.email_kinds,
        "sms_kinds": choices.sms_kinds,
        "has_email": choices.has_email,
        "has_phone": choices.has_phone,
        "kinds": {kind: str(label) for kind, label in NotificationKind.choices},
    }


@router.get("/me/notifications/preferences", response=PreferenceOut, summary="How I am notified")
def preference_detail(request):
    return preference_payload(request.user)


@router.put(
    "/me/notifications/preferences",
    response={200: PreferenceOut, 400: ValidationMessage},
    summary="Choose how I am notified",
)
def preference_update(request, payload: PreferenceIn):
    services.preference_set(
        user=request.user,
        language=payload.language,
        email_kinds=[kind.value for kind in payload.email_kinds],
        sms_kinds=[kind.value for kind in payload.sms_kinds],
    )
    return preference_payload(request.user)

"""Writes about reminders: `notify` (the one entry point other apps call), reading, preferences, and
sending the e-mail and SMS deliveries (`deliveries_send`, run by the worker).

How to remind someone, from another app's service, once the change is committed::

    from django.db import transaction
    from lms.notifications.models import NotificationKind
    from lms.notifications.services import notify

    transaction.on_commit(
        lambda: notify(
            member.user,
            NotificationKind.MAKEUP_OWED,
            f"makeup:{session.pk}",
            context={"title": session.display_title, "due_at": due.isoformat()},
            url=f"/me/learning/{session.pk}/",
        )
    )

Kinds (`NotificationKind`) and the details their words use (`texts.render`):
- CLASS_TOMORROW: `class`, `starts_at` (ISO), `place` — sent by the daily sweep (`events.py`);
- LEAVE_DECIDED: `class`, `approved` (bool) — lms.attendance `leave_request_decide`;
- EVALUATION_OPEN, EVALUATION_CLOSING: `session`, `class`, `closes_at` — lms.evaluation;
- MAKEUP_OWED: `title`, `due_at` (optional) — on-demand learning;
- EXAM_SCHEDULED: `title`, `starts_at` — quizzes;
- RESULTS_RELEASED: `title` — quizzes.

`key` names the event for that person (“leave:12”, “exam:7”): calling again with the same user, kind
and key, even at the same moment from another process, records and sends nothing more. Details are
stored, not sentences, so each person reads the message in their own language.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lms.accounts import sms
from lms.notifications import quiet
from lms.notifications.models import (
    URGENT_KINDS,
    Channel,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from lms.notifications.texts import render
from lms.people.models import Member, Teacher
from lms.people.selectors import is_org_dept

logger = logging.getLogger(__name__)


def max_attempts() -> int:
    return getattr(settings, "NOTIFICATIONS_MAX_ATTEMPTS", 5)


def retry_minutes() -> int:
    return getattr(settings, "NOTIFICATIONS_RETRY_MINUTES", 10)


# --- Who gets what, in which language ------------------------------------------------------------


def phones_of(user_ids: Iterable[int]) -> dict[int, str]:
    """Each user's mobile number: the member's, else the pool teacher's (two queries)."""
    user_ids = list(user_ids)
    phones = dict(
        Teacher.objects.filter(user_id__in=user_ids).exclude(phone="").values_list("user_id", "phone")
    )
    phones.update(Member.objects.filter(user_id__in=user_ids).values_list("user_id", "phone"))
    return phones


def default_channels(kind: str, *, email: str, phone: str) -> list[str]:
    channels = [Channel.EMAIL.value] if email else []
    if phone and kind in URGENT_KINDS:
        channels.append(Channel.SMS.value)
    return channels


def chosen_channels(kind: str, preference: NotificationPreference | None, *, email: str, phone: str) -> list:
    """The channels (besides in-app, always) this person gets `kind` on."""
    if preference is None:
        return default_channels(kind, email=email, phone=phone)
    channels = []
    if email and kind in preference.email_kinds:
        channels.append(Channel.EMAIL.value)
    if phone and kind in preference.sms_kinds:
        channels.append(Channel.SMS.value)
    return channels


def user_language(user, preference: NotificationPreference | None = None) -> str:
    """The language of this person's e-mail and SMS: the one chosen on the preferences page, else the one
    their account prefers (Wagtail's profile), else Simplified Chinese."""
    supported = {code for code, _name in settings.LANGUAGES}
    if preference is not None and preference.language in supported:
        return preference.language
    profile = getattr(user, "wagtail_userprofile", None)
    preferred = getattr(profile, "preferred_language", "") if profile is not None else ""
    return preferred if preferred in supported else settings.LANGUAGE_CODE


# --- notify -------------------------------------------------------------------------------------


def notify(
    user, kind: str, key: str, *, context: dict, url: str | None = None, when: datetime | None = None
) -> Notification | None:
    """Record that `user` is to hear of the event `key` of this `kind`, at most once, and plan its e-mail
    and SMS by their preferences, sent by the worker after commit, never in quiet hours.

    `context`: JSON details the kind's words use (see the module's docstring); `url`: the page the
    reminder leads to (a path on this site); `when`: when to show and send it (default now; a moment in
    quiet hours is sent when they end). Returns the notification (the existing one on a repeat; None for
    an inactive account, which is not notified)."""
    notify_many([user], kind, key, context=context, url=url, when=when)
    return Notification.objects.filter(user=user, kind=kind, key=key[:120]).first()


def notify_many(
    users: Iterable,
    kind: str,
    key: str,
    *,
    context: dict,
    url: str | None = None,
    when: datetime | None = None,
) -> int:
    """`notify` for many people at once (a class of 1,200, the attendees of a session) in a fixed number
    of queries. Returns how many were newly notified."""
    if kind not in NotificationKind.values:
        raise ValidationError(_("This is not a known kind of notification."), code="kind")
    users = [user for user in users if user is not None and getattr(user, "is_active", True)]
    if not users:
        return 0
    now = timezone.now()
    when = when or now
    stamp = timezone.now()
    by_id = {user.pk: user for user in users}
    key = key[:120]
    # Those already notified are left out before inserting, so a stopped clock (tests) cannot make two
    # calls share a stamp; rows a concurrent call inserts meanwhile are skipped by the constraint.
    for user_id in Notification.objects.filter(user_id__in=list(by_id), kind=kind, key=key).values_list(
        "user_id", flat=True
    ):
        by_id.pop(user_id, None)
    if not by_id:
        return 0
    with transaction.atomic():
        Notification.objects.bulk_create(
            [
                Notification(
                    user_id=user_id,
                    kind=kind,
                    key=key,
                    context=context or {},
                    url=(url or "")[:300],
                    created_at=stamp,
                    shown_at=when,
                )
                for user_id in by_id
            ],
            ignore_conflicts=True,
        )
        # Ours are those stamped with this call's moment: a concurrent call's rows carry its own.
        created = list(
            Notification.objects.filter(
                user_id__in=list(by_id), kind=kind, key=key, created_at=stamp
            ).values_list("pk", "user_id")
        )
        if not created:
            return 0
        user_ids = [user_id for _pk, user_id in created]
        preferences = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=user_ids)}
        phones = phones_of(user_ids)
        due = quiet.next_allowed(max(when, now))
        deliveries = [
            Delivery(notification_id=pk, channel=channel, due_at=due)
            for pk, user_id in created
            for channel in chosen_channels(
                kind, preferences.get(user_id), email=by_id[user_id].email, phone=phones.get(user_id, "")
            )
        ]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    if deliveries and due <= now:
        transaction.on_commit(enqueue_sending)
    return len(created)


def enqueue_sending() -> None:
    from lms.notifications.tasks import notifications_send

    notifications_send.enqueue()


# --- Reading ------------------------------------------------------------------------------------


def notification_read(*, user, notification_id: int, now: datetime | None = None) -> Notification:
    """Mark one of the user's own notifications read (again: nothing changes). Another person's is
    not found."""
    notification = Notification.objects.get(pk=notification_id, user=user)
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_read_all(*, user, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return Notification.objects.filter(user=user, read_at__isnull=True, shown_at__lte=now).update(read_at=now)


# --- Preferences --------------------------------------------------------------------------------


def preference_set(*, user, language: str, email_kinds: Iterable[str], sms_kinds: Iterable[str]):
    """Store what the person chose; unknown kinds or languages are refused with a message."""
    errors = {}
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        errors["language"] = [_("This language is not available.")]
    email_kinds, sms_kinds = list(dict.fromkeys(email_kinds)), list(dict.fromkeys(sms_kinds))
    for field, kinds in (("email_kinds", email_kinds), ("sms_kinds", sms_kinds)):
        unknown = [kind for kind in kinds if kind not in NotificationKind.values]
        if unknown:
            errors[field] = [_("Unknown kinds of notification: %(kinds)s.") % {"kinds": ", ".join(unknown)}]
    if errors:
        raise ValidationError(errors)
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"language": language, "email_kinds": email_kinds, "sms_kinds": sms_kinds}
    )
    return preference


# --- Sending (the worker) -----------------------------------------------------------------------


def deliveries_send(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send the e-mail and SMS deliveries that are due, each once. Returns how many were sent. Nothing
    goes out in quiet hours: what is due then waits for their end."""
    now = now or timezone.now()
    if quiet.is_quiet(now):
        return 0
    due = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(delivery_send(delivery_id=pk, now=now) for pk in due)


def delivery_send(*, delivery_id: int, now: datetime | None = None) -> bool:
    """Claim the delivery (pending → sending, one conditional UPDATE that counts the attempt and stamps
    `claimed_at`: a second worker or a retried task finds nothing to claim), send it, and record the
    outcome. A failure is retried later, up to NOTIFICATIONS_MAX_ATTEMPTS. A worker that dies after
    claiming leaves it `sending`; `deliveries_reclaim` returns it after NOTIFICATIONS_CLAIM_TIMEOUT, so
    it is sent at least once (twice if the worker died after the gateway accepted it)."""
    now = now or timezone.now()
    if quiet.is_quiet(now):
        return False
    claimed = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, due_at__lte=now).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now
    )
    if not claimed:
        return False
    delivery = Delivery.objects.select_related(
        "notification__user__wagtail_userprofile", "notification__user__notification_preference"
    ).get(pk=delivery_id)
    # Each claim counts an attempt, so the count names this claim: if the sweep took the delivery back
    # (this worker was too slow) and another worker claimed it, our outcome does not overwrite theirs.
    ours = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING, attempts=delivery.attempts)
    notification, user = delivery.notification, delivery.notification.user
    address = user.email if delivery.channel == Channel.EMAIL else phones_of([user.pk]).get(user.pk, "")
    if not address or not user.is_active:
        ours.update(status=DeliveryStatus.SKIPPED, error=_("No address for this channel."))
        return False
    preference = getattr(user, "notification_preference", None)
    try:
        with translation.override(user_language(user, preference)):
            text = render(notification.kind, notification.context)
            link = f"{settings.WAGTAILADMIN_BASE_URL}{notification.url}" if notification.url else ""
            if delivery.channel == Channel.EMAIL:
                body = f"{text.body}\n\n{link}" if link else text.body
                email_send(delivery_id, text.title, body, address)
            else:
                sms.send_sms(address, _("%(title)s: %(body)s") % text.__dict__, fail_silently=False)
    except Exception as error:  # the gateway's or the mail server's; recorded, retried
        logger.warning("Notification delivery %s failed: %s", delivery_id, error)
        attempts = delivery.attempts
        if attempts >= max_attempts():
            status, due = DeliveryStatus.FAILED, delivery.due_at
        else:
            status = DeliveryStatus.PENDING
            due = quiet.next_allowed(now + timedelta(minutes=retry_minutes() * 2 ** (attempts - 1)))
        ours.update(
            status=status, due_at=due, address=address, error=f"{type(error).__name__}: {error}"[:1000]
        )
        return False
    # Sent is the truth even when the sweep took the delivery back meanwhile: marked so, it is not sent
    # again by whoever would claim it next.
    Delivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), address=address, error=""
    )
    return True


def email_send(delivery_id: int, subject: str, body: str, address: str) -> None:
    """One reminder e-mail. Its Message-ID is built from the delivery, so a copy sent again after a
    worker's crash carries the same one (mail systems that deduplicate on it show it once), and the
    connection gives up within EMAIL_TIMEOUT (default 60 s), well before the claim's timeout."""
    domain = urlsplit(settings.WAGTAILADMIN_BASE_URL).hostname or "localhost"
    connection = get_connection(fail_silently=False, timeout=getattr(settings, "EMAIL_TIMEOUT", None) or 60)
    message = EmailMessage(
        subject,
        body,
        None,
        [address],
        connection=connection,
        headers={"Message-ID": f"<notification-delivery-{delivery_id}@{domain}>"},
    )
    message.send(fail_silently=False)


def claim_timeout() -> timedelta:
    return timedelta(minutes=getattr(settings, "NOTIFICATIONS_CLAIM_TIMEOUT", 10))


def deliveries_reclaim(*, now: datetime | None = None) -> int:
    """Return the deliveries claimed longer than NOTIFICATIONS_CLAIM_TIMEOUT ago and still `sending`
    (their worker died or hung) to pending, due now or when the quiet hours end; those that have had
    NOTIFICATIONS_MAX_ATTEMPTS claims fail instead (staff see them in 未送达的提醒). Their claim counted the
    attempt already. Each is one conditional UPDATE, so sweeps running at once return each delivery
    once. Returns how many were returned to pending."""
    now = now or timezone.now()
    stuck = Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lte=now - claim_timeout())
    stopped = _("The worker stopped while sending it.")
    with transaction.atomic():
        stuck.filter(attempts__gte=max_attempts()).update(status=DeliveryStatus.FAILED, error=stopped)
        returned = stuck.filter(attempts__lt=max_attempts()).update(
            status=DeliveryStatus.PENDING, due_at=quiet.next_allowed(now), error=stopped
        )
    if returned:
        logger.warning("%s notification deliveries were stuck while sending and are returned.", returned)
    return returned


def delivery_retry(*, actor, delivery_id: int, now: datetime | None = None) -> Delivery:
    """Staff send a failed delivery again (the gateway is fixed): pending, due now (or when the quiet
    hours end), its attempts counted afresh. Only the organization department; only a failed one."""
    if not is_org_dept(actor):
        raise PermissionDenied
    now = now or timezone.now()
    retried = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING, attempts=0, due_at=quiet.next_allowed(now), claimed_at=None
    )
    if not retried:
        raise ValidationError(_("Only a failed delivery can be sent again."), code="not_failed")
    logger.info("Notification delivery %s sent again by %s", delivery_id, actor.pk)
    transaction.on_commit(enqueue_sending)
    return Delivery.objects.get(pk=delivery_id)

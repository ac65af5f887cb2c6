"""Reminders (提醒): one `Notification` per person and event, one `Delivery` per notification and
channel (e-mail, SMS) that the worker sends once, and each person's `NotificationPreference`.

In-app is not a delivery: every notification shows in the bell and the list. The database refuses a
second notification for the same person and event and a second delivery on the same channel, so
concurrent callers and retried tasks never remind twice. A delivery whose worker died while sending it
is sent again after NOTIFICATIONS_CLAIM_TIMEOUT (`services.deliveries_reclaim`): at least once, so
after such a crash a message may arrive twice.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    CLASS_TOMORROW = "class_tomorrow", _("Class starting tomorrow")
    LEAVE_DECIDED = "leave_decided", _("Leave decided")
    EVALUATION_OPEN = "evaluation_open", _("Evaluation open")
    EVALUATION_CLOSING = "evaluation_closing", _("Evaluation closing soon")
    MAKEUP_OWED = "makeup_owed", _("Make-up owed")
    EXAM_SCHEDULED = "exam_scheduled", _("Exam scheduled")
    RESULTS_RELEASED = "results_released", _("Results released")


# The kinds a member with a phone gets by SMS unless they chose otherwise: things that change what they
# do tomorrow.
URGENT_KINDS = (
    NotificationKind.CLASS_TOMORROW,
    NotificationKind.LEAVE_DECIDED,
    NotificationKind.EXAM_SCHEDULED,
    NotificationKind.MAKEUP_OWED,
)


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("Text message (SMS)")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent (no address)")


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    key = models.CharField(_("event"), max_length=120, help_text=_("Names the event, e.g. “leave:12”."))
    context = models.JSONField(_("details"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    shown_at = models.DateTimeField(_("shown from"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-shown_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "key"],
                name="notification_once_per_event",
                violation_error_message=_("This person has already been notified of this event."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values),
                name="notification_kind_valid",
                violation_error_message=_("This is not a known kind of notification."),
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-shown_at", "-id"], name="notification_user_list"),
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notification_user_unread"),
        ]

    def __str__(self):
        return f"{self.kind}:{self.key} → {self.user_id}"


class Delivery(models.Model):
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("notification")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    due_at = models.DateTimeField(_("due"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(
        _("claimed"),
        null=True,
        blank=True,
        help_text=_(
            "When a worker took it to send; one still being sent long after is returned by the sweep."
        ),
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    address = models.CharField(_("sent to"), max_length=254, blank=True)
    error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"],
                name="delivery_once_per_channel",
                violation_error_message=_("This notification is already sent on this channel."),
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values),
                name="delivery_channel_valid",
                violation_error_message=_("This is not a known channel."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values),
                name="delivery_status_valid",
                violation_error_message=_("This is not a known delivery status."),
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(status=DeliveryStatus.PENDING), name="delivery_pending_due"
            ),
            models.Index(
                fields=["claimed_at"],
                condition=Q(status=DeliveryStatus.SENDING),
                name="delivery_sending_claimed",
            ),
        ]

    def __str__(self):
        return f"{self.notification_id}/{self.channel}: {self.status}"


class NotificationPreference(models.Model):
    """What a person chose. Without a row: every kind by e-mail when they have an address, the urgent
    kinds by SMS when they have a phone, messages in the language their account prefers."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    language = models.CharField(
        _("language of messages"), max_length=10, blank=True, choices=settings.LANGUAGES
    )
    email_kinds = models.JSONField(_("by e-mail"), default=list, blank=True)
    sms_kinds = models.JSONField(_("by SMS"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return f"{self.user_id}"

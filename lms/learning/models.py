"""On-demand learning (在线学习): the department's rules, each member's one active viewing, and per member
and video the set of seconds actually watched (a bitmap, one bit per second, updated in place)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.people.models import MemberCategory

DEFAULT_SHARE = 90  # % of a video to watch to complete it, unless the year's rule says otherwise


class StudyContent(models.TextChoices):
    ALL = "all", _("All catalogue videos")
    RECORDINGS = "recordings", _("Only recordings of sessions")
    MARKED = "marked", _("Only the videos marked below")


class StudyRule(models.Model):
    """What online study counts for a member category in a year (set by the organization department)."""

    year = models.PositiveSmallIntegerField(_("year"))
    category = models.CharField(_("member category"), max_length=20, choices=MemberCategory.choices)
    content = models.CharField(
        _("which videos count"), max_length=12, choices=StudyContent.choices, default=StudyContent.ALL
    )
    share = models.PositiveSmallIntegerField(_("share to watch to complete (%)"), default=DEFAULT_SHARE)
    cap_hours = models.DecimalField(
        _("yearly cap on online hours"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_("Leave empty for no cap."),
    )
    marked_videos = models.ManyToManyField(
        "vod.Video", blank=True, related_name="+", verbose_name=_("marked videos")
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("online study rule")
        verbose_name_plural = _("online study rules")
        ordering = ["-year", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "category"],
                name="study_rule_one_per_year_and_category",
                violation_error_message=_(
                    "This member category already has an online study rule for this year."
                ),
            ),
            models.CheckConstraint(
                condition=Q(share__gte=1, share__lte=100),
                name="study_rule_share_percentage",
                violation_error_message=_("The share to complete is a percentage from 1 to 100."),
            ),
            models.CheckConstraint(
                condition=Q(cap_hours__isnull=True) | Q(cap_hours__gte=0),
                name="study_rule_cap_not_negative",
                violation_error_message=_("The yearly cap cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(content__in=StudyContent.values),
                name="study_rule_content_valid",
                violation_error_message=_("Unknown kind of content."),
            ),
            models.CheckConstraint(
                condition=Q(category__in=MemberCategory.values),
                name="study_rule_category_valid",
                violation_error_message=_("Unknown member category."),
            ),
        ]

    def __str__(self):
        return f"{self.year} · {self.get_category_display()}"


class Viewing(models.Model):
    """The member's one active viewing: opening a video (in any tab, on any device) replaces it, so two
    videos at once credit one. Heartbeats name it by a signed token; `token` changes with each opening."""

    member = models.OneToOneField(
        "people.Member", on_delete=models.CASCADE, related_name="viewing", verbose_name=_("member")
    )
    video = models.ForeignKey(
        "vod.Video", on_delete=models.CASCADE, related_name="+", verbose_name=_("video")
    )
    token = models.CharField(max_length=32)
    started_at = models.DateTimeField(_("started at"))
    last_beat_at = models.DateTimeField(_("last heartbeat at"))
    beats = models.PositiveIntegerField(_("heartbeats"), default=0)

    class Meta:
        verbose_name = _("viewing")
        verbose_name_plural = _("viewings")

    def __str__(self):
        return f"{self.member_id} · {self.video_id}"


class WatchProgress(models.Model):
    """The seconds of a video a member has actually watched, as a bitmap (bit s of byte s // 8 is second
    s; a 2-hour video takes 900 bytes), with the count, where they are, and when they completed it."""

    member = models.ForeignKey(
        "people.Member", on_delete=models.CASCADE, related_name="watch_progress", verbose_name=_("member")
    )
    video = models.ForeignKey(
        "vod.Video", on_delete=models.CASCADE, related_name="watch_progress", verbose_name=_("video")
    )
    watched = models.BinaryField(default=b"")
    watched_seconds = models.PositiveIntegerField(_("seconds watched"), default=0)
    position = models.FloatField(_("position (seconds)"), default=0)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    last_watched_at = models.DateTimeField(_("last watched at"))

    class Meta:
        verbose_name = _("watch progress")
        verbose_name_plural = _("watch progress")
        indexes = [
            models.Index(fields=["member", "-last_watched_at"]),
            models.Index(
                fields=["video", "member"],
                include=["watched_seconds", "completed_at"],
                name="progress_by_video",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "video"],
                name="progress_one_per_member_and_video",
                violation_error_message=_("This member already has progress on this video."),
            ),
            models.CheckConstraint(
                condition=Q(position__gte=0),
                name="progress_position_not_negative",
                violation_error_message=_("The position cannot be negative."),
            ),
        ]

    def __str__(self):
        return f"{self.member_id} · {self.video_id}: {self.watched_seconds}s"

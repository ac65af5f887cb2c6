"""A video on demand (点播视频): an upload by staff or the recording of a live session, and what the worker
made of it (HLS renditions and a poster frame under VOD_ROOT/<folder>/).

The original and the HLS output live under VOD_ROOT, outside MEDIA_ROOT: nothing there has a public URL;
lms.vod hands the files to those allowed to watch (nginx X-Accel-Redirect in production)."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class VideoStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting to be processed")
    PROCESSING = "processing", _("Processing")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class VideoOrigin(models.TextChoices):
    UPLOAD = "upload", _("Uploaded")
    RECORDING = "recording", _("Recording of a live session")


def random_folder() -> str:
    return secrets.token_hex(16)


class Video(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # The school whose staff manage the video (city school, township school); scoping follows it.
    school = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.PROTECT, related_name="videos", verbose_name=_("school")
    )
    origin = models.CharField(
        _("origin"), max_length=12, choices=VideoOrigin.choices, default=VideoOrigin.UPLOAD
    )
    # The recording of this session (at most one per session).
    session = models.OneToOneField(
        "scheduling.Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recording",
        verbose_name=_("recording of session"),
    )
    # Where the original and the output live, relative to VOD_ROOT: random, so never guessed.
    folder = models.CharField(max_length=32, unique=True, default=random_folder, editable=False)
    source_name = models.CharField(_("original file"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=VideoStatus.choices, default=VideoStatus.WAITING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    duration = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    # [{"name": "360p", "height": 360, "bandwidth": 800000}, ...], best last.
    renditions = models.JSONField(_("renditions"), default=list, blank=True)
    has_poster = models.BooleanField(_("has a poster frame"), default=False)
    # Uploads are shown to members (of the school's townships) only once published; a session's
    # recording is shown to the members of its class whatever this says.
    published = models.BooleanField(
        _("published to members"),
        default=False,
        help_text=_("Members of the school (a city school: of every township) can watch it."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)

    class Meta:
        verbose_name = _("video")
        verbose_name_plural = _("videos")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["school", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=VideoStatus.values),
                name="video_status_valid",
                violation_error_message=_("This is not a valid video status."),
            ),
            models.CheckConstraint(
                condition=Q(origin__in=VideoOrigin.values),
                name="video_origin_valid",
                violation_error_message=_("This is not a valid video origin."),
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100),
                name="video_progress_at_most_100",
                violation_error_message=_("Progress is a percentage (0 to 100)."),
            ),
            models.CheckConstraint(
                condition=~Q(status=VideoStatus.READY) | Q(duration__gt=0),
                name="video_ready_has_duration",
                violation_error_message=_("A ready video has a duration."),
            ),
        ]

    def __str__(self):
        return self.title

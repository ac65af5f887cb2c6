"""Online learning in the catalogue: a course's ordered lessons, who started which course, and which
lessons each member has completed.

Lessons are an Orderable with a ParentalKey (an InlinePanel on the course), not StreamField blocks:
each lesson is a database row with a stable primary key that progress (LessonCompletion), lesson
checks (quizzes.LessonCheck) and reports can point at with real foreign keys and unique constraints.
Wagtail keeps a lesson's row (and id) when an editor changes or reorders lessons and publishes; a
lesson removed from the course is deleted with its completions. Drafts don't touch the rows: members
always see the published lessons.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable


class LessonKind(models.TextChoices):
    VIDEO = "video", _("Video")
    DOCUMENT = "document", _("Document")
    TEXT = "text", _("Text")


class Lesson(Orderable):
    """A lesson of an online course: a video, a document or a text to read."""

    course = ParentalKey("courses.CoursePage", on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=LessonKind.choices, default=LessonKind.TEXT)
    # A video lesson may wait for its video: staff add the lesson first and upload later.
    video = models.ForeignKey(
        "vod.Video",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lessons",
        verbose_name=_("video"),
    )
    document = models.ForeignKey(
        "wagtaildocs.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
    )
    text = RichTextField(_("text"), blank=True)
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), null=True, blank=True, help_text=_("About how long the lesson takes.")
    )

    panels = [
        FieldPanel("title"),
        FieldPanel("kind"),
        FieldPanel("video"),
        FieldPanel("document"),
        FieldPanel("text"),
        FieldPanel("minutes"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=LessonKind.values),
                name="lesson_kind_valid",
                violation_error_message=_("This is not a valid lesson kind."),
            ),
            models.CheckConstraint(
                condition=Q(kind=LessonKind.VIDEO) | Q(video__isnull=True),
                name="lesson_video_only_for_video_kind",
                violation_error_message=_("Only a video lesson has a video."),
            ),
            models.CheckConstraint(
                condition=Q(kind=LessonKind.DOCUMENT) | Q(document__isnull=True),
                name="lesson_document_only_for_document_kind",
                violation_error_message=_("Only a document lesson has a document."),
            ),
        ]

    def __str__(self):
        return self.title


class CourseLearner(models.Model):
    """A member who started an online course (themself, or by opening a course pushed to them), and
    the lesson they opened last: what "continue" leads to."""

    member = models.ForeignKey(
        "people.Member", on_delete=models.CASCADE, related_name="courses_started", verbose_name=_("member")
    )
    course = models.ForeignKey(
        "courses.CoursePage", on_delete=models.CASCADE, related_name="learners", verbose_name=_("course")
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    last_lesson = models.ForeignKey(
        Lesson,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last lesson"),
    )
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("course learner")
        verbose_name_plural = _("course learners")
        indexes = [models.Index(fields=["member", "-last_seen_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "course"],
                name="course_learner_once",
                violation_error_message=_("This member has already started this course."),
            )
        ]

    def __str__(self):
        return f"{self.member_id} · {self.course_id}"


class CompletionWay(models.TextChoices):
    VIDEO = "video", _("Video watched")
    OPENED = "opened", _("Document opened")
    READ = "read", _("Marked as read")


class LessonCompletion(models.Model):
    """A member completed a lesson's material (at most once per lesson)."""

    member = models.ForeignKey(
        "people.Member", on_delete=models.CASCADE, related_name="lesson_completions", verbose_name=_("member")
    )
    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, related_name="completions", verbose_name=_("lesson")
    )
    way = models.CharField(_("how"), max_length=8, choices=CompletionWay.choices)
    completed_at = models.DateTimeField(_("completed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lesson completion")
        verbose_name_plural = _("lesson completions")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "lesson"],
                name="lesson_completed_once",
                violation_error_message=_("This member has already completed this lesson."),
            ),
            models.CheckConstraint(
                condition=Q(way__in=CompletionWay.values),
                name="lesson_completion_way_valid",
                violation_error_message=_("This is not a valid way of completing a lesson."),
            ),
        ]

    def __str__(self):
        return f"{self.member_id} · {self.lesson_id}"

"""One export (导出任务): who asked for which spreadsheet with which filters, how far the worker has got,
and the finished file.

The file lives on a storage of its own under EXPORTS_ROOT, outside MEDIA_ROOT, with no URL: nginx
never serves it; `views.export_download` hands it to its owner only."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class PrivateExportStorage(FileSystemStorage):
    """Files with no public URL: only `views.export_download` hands them out, to their owner."""

    def url(self, name):
        raise ValueError("Exports have no public URL; lms.exports.views.export_download serves them.")


def exports_storage() -> FileSystemStorage:
    """The private storage of finished exports (a callable, so tests and settings may move it)."""
    return PrivateExportStorage(location=settings.EXPORTS_ROOT)


class ExportKind(models.TextChoices):
    MEMBERS_BEHIND = "members_behind", _("Members behind the yearly requirement")
    TOWNSHIP_SUMMARY = "township_summary", _("Training hours by township")
    TEACHER_RANKING = "teacher_ranking", _("Teacher ranking")
    MEMBERS = "members", _("Party members")
    MAKEUP_OWED = "makeup_owed", _("Members who still owe make-up")
    COURSE_LEARNERS = "course_learners", _("Learners of an online course")
    COURSE_FUNNEL = "course_funnel", _("Lesson by lesson through an online course")


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", "XLSX"
    CSV = "csv", "CSV"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("Being built")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


ACTIVE_STATUSES = (ExportStatus.QUEUED, ExportStatus.RUNNING)


class ExportJob(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("requested by"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=ExportKind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # A digest of the parameters, so "the same export" is one unique constraint on plain columns.
    params_key = models.CharField(_("parameters key"), max_length=64)
    fmt = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in all"), default=0)
    file = models.FileField(
        _("file"), storage=exports_storage, upload_to="%Y/%m/", blank=True, max_length=200
    )
    filename = models.CharField(_("file name"), max_length=120, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="exports_job_user_created_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "fmt", "params_key"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="exports_one_active_job_per_request",
                violation_error_message=_("The same export is already being prepared for this user."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ExportKind.values),
                name="exports_job_kind_valid",
                violation_error_message=_("Unknown kind of export."),
            ),
            models.CheckConstraint(
                condition=Q(fmt__in=ExportFormat.values),
                name="exports_job_format_valid",
                violation_error_message=_("An export is either XLSX or CSV."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ExportStatus.values),
                name="exports_job_status_valid",
                violation_error_message=_("Unknown status of an export."),
            ),
            models.CheckConstraint(
                condition=Q(rows_done__lte=F("rows_total")),
                name="exports_job_rows_done_within_total",
                violation_error_message=_("An export cannot have written more rows than it holds."),
            ),
            models.CheckConstraint(
                condition=~Q(status=ExportStatus.DONE) | (~Q(file="") & Q(finished_at__isnull=False)),
                name="exports_job_done_has_file",
                violation_error_message=_("A finished export must have its file and the time it finished."),
            ),
            models.CheckConstraint(
                condition=~Q(status=ExportStatus.FAILED) | (~Q(error="") & Q(finished_at__isnull=False)),
                name="exports_job_failed_says_why",
                violation_error_message=_("A failed export must say what went wrong and when."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_fmt_display()}, {self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)

"""Models of lms.stats: the annual report (年度党员教育培训工作报告) as a background job.

The figures themselves are not stored: they are read for one year through indexed, year-bounded
queries (see selectors.py), so nothing here can go stale."""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PrivateReportStorage(FileSystemStorage):
    """Report files have no public URL: only `views.report_download` hands them out, to their owner."""

    def url(self, name):
        raise ValueError("Annual reports have no public URL; lms.stats.views serves them.")


def reports_storage() -> FileSystemStorage:
    return PrivateReportStorage(location=Path(settings.EXPORTS_ROOT) / "annual-reports")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("Being built")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


ACTIVE_REPORT_STATUSES = (ReportStatus.QUEUED, ReportStatus.RUNNING)


class AnnualReport(models.Model):
    """One annual report asked for by a staff user: for the place they oversee (the county, a city
    school's townships) or for one township; built by the worker into a PDF and an XLSX workbook."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="annual_reports",
        verbose_name=_("requested by"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    township = models.ForeignKey(
        "courses.TownshipSchoolPage",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("township"),
    )
    # "home" (the place the user oversees) or "township:<id>", so one active report per request is
    # a unique constraint on plain columns.
    place_key = models.CharField(_("place"), max_length=40)
    status = models.CharField(
        _("status"), max_length=8, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    percent = models.PositiveSmallIntegerField(_("progress"), default=0)
    step = models.CharField(_("step"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    pdf = models.FileField(_("PDF"), storage=reports_storage, upload_to="%Y/", blank=True, max_length=200)
    xlsx = models.FileField(_("XLSX"), storage=reports_storage, upload_to="%Y/", blank=True, max_length=200)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "year", "place_key"],
                condition=Q(status__in=ACTIVE_REPORT_STATUSES),
                name="stats_one_active_report_per_request",
                violation_error_message=_("This annual report is already being prepared for you."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReportStatus.values),
                name="stats_report_status_valid",
                violation_error_message=_("Unknown status of an annual report."),
            ),
            models.CheckConstraint(
                condition=Q(percent__lte=100),
                name="stats_report_percent_at_most_100",
                violation_error_message=_("Progress cannot pass 100 %."),
            ),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.DONE)
                | (~Q(pdf="") & ~Q(xlsx="") & Q(finished_at__isnull=False)),
                name="stats_report_done_has_files",
                violation_error_message=_("A finished annual report must have its PDF and its workbook."),
            ),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.FAILED) | ~Q(error=""),
                name="stats_report_failed_says_why",
                violation_error_message=_("A failed annual report must say what went wrong."),
            ),
        ]

    def __str__(self):
        return self.title or f"{self.year} {self.place_key}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_REPORT_STATUSES

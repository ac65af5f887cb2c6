"""Models of lms.stats: the annual report (年度党员教育培训工作报告) as a background job, and each
member's attendance summed per month (`MemberMonthHours`), which the dashboards read.

At the issue's scale (20,000 members, ≈ 2 M attendance records a year) reading the year's records for
every page took 3–12 s a figure even bounded by the year, and the five-year rotation grew with the
history; the monthly sums are ≈ 240,000 rows a year and the rotation one index probe per member. They
are refreshed by the worker (`services.figures_refresh`, `manage.py stats_refresh` from cron) and
each year carries the time it was last refreshed (`FiguresRefresh`), which the dashboard shows."""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import F, Q
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


class MemberMonthHours(models.Model):
    """One member's attendance records of one month (by the session's start, Beijing time), summed:
    what the dashboards and the annual report read instead of the records. Written only by
    `services.figures_refresh`, which replaces a whole year at once."""

    member = models.ForeignKey(
        "people.Member", on_delete=models.CASCADE, related_name="+", verbose_name=_("member")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    attended_sessions = models.PositiveIntegerField(
        _("sessions attended"),
        default=0,
        help_text=_("Present, late or left early (the five-year rotation)."),
    )
    credited_sessions = models.PositiveIntegerField(
        _("sessions credited"), default=0, help_text=_("Attended sessions the year counts toward hours.")
    )
    minutes = models.PositiveIntegerField(_("minutes credited"), default=0)
    township_minutes = models.PositiveIntegerField(_("minutes at the own township's school"), default=0)
    in_person_minutes = models.PositiveIntegerField(_("minutes in person"), default=0)
    live_minutes = models.PositiveIntegerField(_("minutes live"), default=0)
    replay_minutes = models.PositiveIntegerField(_("minutes by replay"), default=0)
    replays = models.PositiveIntegerField(_("sessions made up by replay"), default=0)
    absences = models.PositiveIntegerField(_("sessions missed"), default=0)
    online_minutes = models.PositiveIntegerField(_("minutes of online study"), default=0)

    class Meta:
        verbose_name = _("member's monthly hours")
        verbose_name_plural = _("members' monthly hours")
        constraints = [
            # member first: the rotation probes one member's five years through it
            models.UniqueConstraint(
                fields=["member", "year", "month"],
                name="stats_month_hours_one_per_member_and_month",
                violation_error_message=_("These monthly hours are already stored."),
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12),
                name="stats_month_hours_month_valid",
                violation_error_message=_("A month is 1 to 12."),
            ),
            models.CheckConstraint(
                condition=Q(township_minutes__lte=F("minutes"))
                & Q(credited_sessions__lte=F("attended_sessions")),
                name="stats_month_hours_parts_within_whole",
                violation_error_message=_("A part of the hours cannot exceed the whole."),
            ),
        ]
        # A year's rows in member and month order: the sums per member and the months line's running
        # sum read them in that order without sorting (a sort of a year's rows spilled to disk).
        indexes = [
            models.Index(fields=["year", "member", "month"], name="stats_month_hours_by_year"),
            # the five-year rotation: one probe per member, answered from this index alone
            models.Index(
                fields=["member", "year"],
                condition=Q(attended_sessions__gt=0),
                name="stats_month_hours_attended",
            ),
        ]

    def __str__(self):
        return f"{self.member_id} {self.year}-{self.month:02d}"


class FiguresRefresh(models.Model):
    """When a year's monthly hours were last summed from the records (shown on the dashboard), and
    the row each refresh of that year locks, so two refreshes of one year run one after the other."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)
    seconds = models.FloatField(_("seconds taken"), default=0)
    rows = models.PositiveIntegerField(_("monthly rows"), default=0)

    class Meta:
        verbose_name = _("refresh of the figures")
        verbose_name_plural = _("refreshes of the figures")

    def __str__(self):
        return f"{self.year}: {self.refreshed_at}"

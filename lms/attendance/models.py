"""Attendance records (one per member and session, with their history), leave requests, and the
yearly requirement rules that the hours ledger is measured against."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.people.models import MemberCategory


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    LEFT_EARLY = "left_early", _("Left early")
    EXCUSED = "excused", _("Excused")
    ABSENT = "absent", _("Absent")


# Statuses that credit minutes to the hours ledger.
ATTENDED_STATUSES = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)


class AttendanceSource(models.TextChoices):
    QR = "qr", _("QR sign-in")
    ROLL_CALL = "roll_call", _("Roll call")
    LIVE = "live", _("Live classroom")
    REPLAY = "replay", _("Replay make-up")
    LEAVE = "leave", _("Approved leave")
    AUTO = "auto", _("Not signed in by the end")


class AttendanceRecord(models.Model):
    """How one member attended one session, and the minutes it credits to their hours."""

    session = models.ForeignKey(
        "scheduling.Session", on_delete=models.CASCADE, related_name="attendance", verbose_name=_("session")
    )
    member = models.ForeignKey(
        "people.Member", on_delete=models.CASCADE, related_name="attendance", verbose_name=_("member")
    )
    status = models.CharField(_("status"), max_length=16, choices=AttendanceStatus.choices)
    source = models.CharField(_("source"), max_length=16, choices=AttendanceSource.choices)
    minutes = models.PositiveIntegerField(_("minutes credited"), default=0)
    checked_in_at = models.DateTimeField(_("signed in at"), null=True, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked by"),
    )
    marked_at = models.DateTimeField(_("marked at"))

    class Meta:
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")
        ordering = ["session__starts_at", "member__name"]
        indexes = [models.Index(fields=["member", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "member"], name="attendance_one_per_member_and_session"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AttendanceStatus.values), name="attendance_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=AttendanceSource.values), name="attendance_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ATTENDED_STATUSES) | Q(minutes=0),
                name="attendance_minutes_only_when_attended",
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.session}: {self.get_status_display()}"


class AttendanceChange(models.Model):
    """One change of a record: who changed what from what, and when (never edited)."""

    record = models.ForeignKey(AttendanceRecord, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"))
    old_status = models.CharField(
        _("old status"), max_length=16, choices=AttendanceStatus.choices, blank=True
    )
    new_status = models.CharField(_("new status"), max_length=16, choices=AttendanceStatus.choices)
    old_minutes = models.PositiveIntegerField(_("old minutes"), null=True, blank=True)
    new_minutes = models.PositiveIntegerField(_("new minutes"))
    old_source = models.CharField(
        _("old source"), max_length=16, choices=AttendanceSource.choices, blank=True
    )
    new_source = models.CharField(_("new source"), max_length=16, choices=AttendanceSource.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("attendance change")
        verbose_name_plural = _("attendance changes")
        ordering = ["changed_at", "id"]

    def __str__(self):
        return f"{self.record_id}: {self.old_status or '—'} → {self.new_status}"


class LeaveStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class LeaveRequest(models.Model):
    """A member asks, before a session, to be excused from it."""

    session = models.ForeignKey(
        "scheduling.Session",
        on_delete=models.CASCADE,
        related_name="leave_requests",
        verbose_name=_("session"),
    )
    member = models.ForeignKey(
        "people.Member", on_delete=models.CASCADE, related_name="leave_requests", verbose_name=_("member")
    )
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(
        _("status"), max_length=16, choices=LeaveStatus.choices, default=LeaveStatus.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("leave request")
        verbose_name_plural = _("leave requests")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="leave_one_per_member_and_session"),
            models.CheckConstraint(condition=~Q(reason=""), name="leave_has_reason"),
            models.CheckConstraint(condition=Q(status__in=LeaveStatus.values), name="leave_status_valid"),
        ]

    def __str__(self):
        return f"{self.member} · {self.session}"


class RequirementScope(models.TextChoices):
    TOWNSHIP = "township", _("At the member's township school")
    ANY_SCHOOL = "any_school", _("At any party school")


class RequirementRule(models.Model):
    """How many hours a member category must train in a year, and where (set by the organization
    department; the defaults follow the county's rules: 1 day for members, 2 for village cadres)."""

    year = models.PositiveSmallIntegerField(_("year"))
    category = models.CharField(_("member category"), max_length=20, choices=MemberCategory.choices)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    scope = models.CharField(
        _("where they count"),
        max_length=16,
        choices=RequirementScope.choices,
        default=RequirementScope.TOWNSHIP,
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
        verbose_name = _("yearly requirement")
        verbose_name_plural = _("yearly requirements")
        ordering = ["-year", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "category"], name="requirement_one_per_year_and_category"
            ),
            models.CheckConstraint(condition=Q(hours__gte=0), name="requirement_hours_not_negative"),
            models.CheckConstraint(
                condition=Q(category__in=MemberCategory.values), name="requirement_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(scope__in=RequirementScope.values), name="requirement_scope_valid"
            ),
        ]

    def __str__(self):
        return f"{self.year} · {self.get_category_display()}: {self.hours}"

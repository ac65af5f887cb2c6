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
    ONLINE = "online", _("Online study")


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
        indexes = [
            models.Index(fields=["member", "status"]),
            # The hours reports start from one year's sessions and read their crediting records from
            # this index alone (index-only), so their cost follows a year, not the whole history.
            models.Index(
                fields=["session"],
                include=["member", "minutes"],
                condition=Q(status__in=ATTENDED_STATUSES),
                name="attendance_credit_by_session",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "member"],
                name="attendance_one_per_member_and_session",
                violation_error_message=_("This member already has an attendance record for this session."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=AttendanceStatus.values),
                name="attendance_status_valid",
                violation_error_message=_("Unknown attendance status."),
            ),
            models.CheckConstraint(
                condition=Q(source__in=AttendanceSource.values),
                name="attendance_source_valid",
                violation_error_message=_("Unknown attendance source."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ATTENDED_STATUSES) | Q(minutes=0),
                name="attendance_minutes_only_when_attended",
                violation_error_message=_("Only a member who attended is credited minutes."),
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


class OnlineStudy(models.Model):
    """Minutes of on-demand videos a member watched in a year, per video (source "online study"), kept
    by lms.learning: one row per member, video and year, updated in place, never one per heartbeat."""

    member = models.ForeignKey(
        "people.Member", on_delete=models.CASCADE, related_name="online_study", verbose_name=_("member")
    )
    video = models.ForeignKey(
        "vod.Video", on_delete=models.CASCADE, related_name="+", verbose_name=_("video")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    seconds = models.PositiveIntegerField(_("seconds watched"), default=0)
    minutes = models.PositiveIntegerField(_("minutes credited"), default=0)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("online study")
        verbose_name_plural = _("online study")
        indexes = [models.Index(fields=["year", "member"], include=["minutes"], name="online_study_by_year")]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "video", "year"],
                name="online_study_one_per_member_video_year",
                violation_error_message=_("This member already has online study of this video this year."),
            ),
        ]

    def __str__(self):
        return f"{self.member_id} · {self.video_id} · {self.year}: {self.minutes}"


class LeaveStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


# A request that still counts: a session may be covered by one of these per member at most.
OPEN_LEAVE_STATUSES = (LeaveStatus.PENDING, LeaveStatus.APPROVED)


class LeaveScope(models.TextChoices):
    SESSION = "session", _("One session")
    DAY = "day", _("One day")
    CLASS = "class", _("The whole class")


class LeaveRequest(models.Model):
    """A member asks, before it starts, to be excused from one session, one day of a class or the
    whole class. Staff decide once for every session it covers (`LeaveSession`)."""

    training_class = models.ForeignKey(
        "scheduling.TrainingClass",
        on_delete=models.CASCADE,
        related_name="leave_requests",
        verbose_name=_("training class"),
    )
    member = models.ForeignKey(
        "people.Member", on_delete=models.CASCADE, related_name="leave_requests", verbose_name=_("member")
    )
    scope = models.CharField(
        _("scope"), max_length=16, choices=LeaveScope.choices, default=LeaveScope.SESSION
    )
    day = models.DateField(_("day"), null=True, blank=True)
    sessions = models.ManyToManyField(
        "scheduling.Session", through="LeaveSession", related_name="+", verbose_name=_("sessions")
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
        indexes = [models.Index(fields=["training_class", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="leave_has_reason",
                violation_error_message=_("Give a reason for the leave."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=LeaveStatus.values),
                name="leave_status_valid",
                violation_error_message=_("Unknown leave status."),
            ),
            models.CheckConstraint(
                condition=Q(scope__in=LeaveScope.values),
                name="leave_scope_valid",
                violation_error_message=_("Unknown leave scope."),
            ),
            models.CheckConstraint(
                condition=Q(scope=LeaveScope.DAY, day__isnull=False)
                | (~Q(scope=LeaveScope.DAY) & Q(day__isnull=True)),
                name="leave_day_only_for_a_day",
                violation_error_message=_(
                    "A leave request for a day names the day, and only that kind does."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.training_class}"


class LeaveSession(models.Model):
    """One session a leave request covers. The member and the request's status are copied here so
    that the database can hold "one pending or approved request per member and session"."""

    leave = models.ForeignKey(LeaveRequest, on_delete=models.CASCADE, related_name="covered")
    session = models.ForeignKey(
        "scheduling.Session",
        on_delete=models.CASCADE,
        related_name="leave_coverage",
        verbose_name=_("session"),
    )
    member = models.ForeignKey("people.Member", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        _("status"), max_length=16, choices=LeaveStatus.choices, default=LeaveStatus.PENDING
    )

    class Meta:
        verbose_name = _("session on leave")
        verbose_name_plural = _("sessions on leave")
        ordering = ["session__starts_at", "session_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["leave", "session"],
                name="leave_session_once",
                violation_error_message=_("This session is already in this leave request."),
            ),
            models.UniqueConstraint(
                fields=["member", "session"],
                condition=Q(status__in=OPEN_LEAVE_STATUSES),
                name="leave_one_open_per_member_and_session",
                violation_error_message=_(
                    "This member already has a pending or approved leave request for this session."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status__in=LeaveStatus.values),
                name="leave_session_status_valid",
                violation_error_message=_("Unknown leave status."),
            ),
        ]

    def __str__(self):
        return f"{self.leave_id}: {self.session_id}"


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
                fields=["year", "category"],
                name="requirement_one_per_year_and_category",
                violation_error_message=_("This member category already has a requirement for this year."),
            ),
            models.CheckConstraint(
                condition=Q(hours__gte=0),
                name="requirement_hours_not_negative",
                violation_error_message=_("The required hours cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(category__in=MemberCategory.values),
                name="requirement_category_valid",
                violation_error_message=_("Unknown member category."),
            ),
            models.CheckConstraint(
                condition=Q(scope__in=RequirementScope.values),
                name="requirement_scope_valid",
                violation_error_message=_("Unknown place where the hours count."),
            ),
        ]

    def __str__(self):
        return f"{self.year} · {self.get_category_display()}: {self.hours}"

"""Annual teaching plans, training classes built on the 5+1+N template, their sessions and enrolments.

A class and its sessions are one cluster (django-modelcluster), so the admin edits them on one screen
and the service (`services.training_class_save`) checks the whole class, sessions included, before
anything reaches the database.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from courses.models import CourseModule
from lms.people.models import MemberCategory

# --- Annual teaching plan ------------------------------------------------------------------------


class AnnualPlan(ClusterableModel):
    """年度教学计划: the classes a school means to hold in a year, written at the start of it."""

    school = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.PROTECT, related_name="annual_plans", verbose_name=_("school")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("annual teaching plan")
        verbose_name_plural = _("annual teaching plans")
        ordering = ["-year", "school__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year"],
                name="annual_plan_one_per_school_and_year",
                violation_error_message=_("This school already has a teaching plan for that year."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100),
                name="annual_plan_year_sane",
                violation_error_message=_("The year must be between 2000 and 2100."),
            ),
        ]

    def __str__(self):
        return _("%(school)s, teaching plan %(year)s") % {"school": self.school.title, "year": self.year}


class PlannedClass(Orderable):
    """One class of an annual plan: what, for whom, in which month, for how many days."""

    plan = ParentalKey(AnnualPlan, on_delete=models.CASCADE, related_name="planned_classes")
    title = models.CharField(_("title"), max_length=200)
    audience = models.CharField(_("audience"), max_length=200, blank=True)
    month = models.PositiveSmallIntegerField(_("month"), choices=[(m, m) for m in range(1, 13)])
    planned_days = models.DecimalField(_("planned days"), max_digits=4, decimal_places=1, default=1)
    modules = models.JSONField(
        _("modules"), default=list, blank=True, help_text=_("Course modules the class covers.")
    )

    class Meta(Orderable.Meta):
        verbose_name = _("planned class")
        verbose_name_plural = _("planned classes")
        constraints = [
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12),
                name="planned_class_month_valid",
                violation_error_message=_("The month must be between 1 and 12."),
            ),
            models.CheckConstraint(
                condition=Q(planned_days__gt=0),
                name="planned_class_days_positive",
                violation_error_message=_("The planned days must be more than zero."),
            ),
        ]

    def __str__(self):
        return self.title

    def module_labels(self) -> list[str]:
        labels = dict(CourseModule.choices)
        return [str(labels.get(module, module)) for module in self.modules]


# --- Training classes and sessions ---------------------------------------------------------------


class ClassStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    IN_PROGRESS = "in_progress", _("In progress")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


# Statuses in which a class must follow 5+1+N and holds its bookings.
PUBLIC_STATUSES = (ClassStatus.PUBLISHED, ClassStatus.IN_PROGRESS, ClassStatus.FINISHED)


class TrainingClass(ClusterableModel):
    """培训班: one "期" of training at a city or township school, made of sessions."""

    school = models.ForeignKey(
        "wagtailcore.Page",
        on_delete=models.PROTECT,
        related_name="training_classes",
        verbose_name=_("school"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    audience_categories = models.JSONField(
        _("audience: member categories"),
        default=list,
        blank=True,
        help_text=_("Leave empty for every category."),
    )
    audience_branches = ParentalManyToManyField(
        "people.Branch",
        blank=True,
        related_name="targeted_classes",
        verbose_name=_("audience: branches"),
        help_text=_("Leave empty for every branch."),
    )
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    capacity = models.PositiveIntegerField(_("capacity"), default=50)
    venue = models.CharField(
        _("venue"),
        max_length=200,
        blank=True,
        help_text=_("Where sessions are held unless a session says otherwise."),
    )
    self_enrolment = models.BooleanField(
        _("members may enrol themselves"),
        default=False,
        help_text=_("Members of the audience can join from their phone."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ClassStatus.choices, default=ClassStatus.DRAFT
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    is_compliant = models.BooleanField(
        _("follows 5+1+N"), default=False, editable=False, help_text=_("Kept up to date on every save.")
    )
    planned_class = models.ForeignKey(
        PlannedClass,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="training_classes",
        verbose_name=_("in the annual plan as"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("training class")
        verbose_name_plural = _("training classes")
        ordering = ["-start_date", "title", "id"]
        indexes = [
            models.Index(fields=["school", "start_date"]),
            models.Index(fields=["status", "start_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="class_ends_after_start",
                violation_error_message=_("The class cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ClassStatus.values),
                name="class_status_valid",
                violation_error_message=_("This is not a valid class status."),
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1),
                name="class_capacity_positive",
                violation_error_message=_("The capacity must be at least 1."),
            ),
            models.CheckConstraint(
                condition=~Q(status=ClassStatus.CANCELLED) | ~Q(cancel_reason=""),
                name="class_cancel_has_reason",
                violation_error_message=_("A cancelled class needs a reason."),
            ),
        ]

    def __str__(self):
        return self.title

    def current_status(self, today=None) -> str:
        """The status as of today: a published class is in progress on its days and finished after."""
        if self.status not in PUBLIC_STATUSES:
            return self.status
        today = today or timezone.localdate()
        if today > self.end_date:
            return ClassStatus.FINISHED
        if today >= self.start_date:
            return ClassStatus.IN_PROGRESS
        return ClassStatus.PUBLISHED

    def current_status_label(self) -> str:
        return ClassStatus(self.current_status()).label

    def audience_category_labels(self) -> list[str]:
        labels = dict(MemberCategory.choices)
        return [str(labels.get(value, value)) for value in self.audience_categories]

    @property
    def is_bookable(self) -> bool:
        return self.status != ClassStatus.CANCELLED


class SessionKind(models.TextChoices):
    SIGN_IN = "sign_in", _("Sign-in")
    ANTHEM = "anthem", _("National anthem or the Internationale")
    OATH = "oath", _("Re-taking the admission oath")
    CONSTITUTION = "constitution", _("Collective study of the Party Constitution")
    LEADER_LECTURE = "leader_lecture", _("Lecture by a leader")
    SITE_VISIT = "site_visit", _("Site visit at a teaching point")
    ELECTIVE = "elective", _("Elective item")
    EXAM = "exam", _("Theory exam")


# The "5" of 5+1+N, in the order a class runs them.
MANDATORY_KINDS = (
    SessionKind.SIGN_IN,
    SessionKind.ANTHEM,
    SessionKind.OATH,
    SessionKind.CONSTITUTION,
    SessionKind.LEADER_LECTURE,
)
# Kinds that are taught, so need a teacher from the pool.
TAUGHT_KINDS = (SessionKind.LEADER_LECTURE, SessionKind.SITE_VISIT, SessionKind.ELECTIVE)


class Delivery(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    LIVE = "live", _("Live online")
    HYBRID = "hybrid", _("In person and live")


class Session(Orderable):
    """One item of a class's timetable."""

    training_class = ParentalKey(TrainingClass, on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices)
    title = models.CharField(_("title"), max_length=200, blank=True, help_text=_("Defaults to the kind."))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    teacher = models.ForeignKey(
        "people.Teacher",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("teacher"),
    )
    venue = models.CharField(_("venue"), max_length=200, blank=True, help_text=_("Empty: the class's venue."))
    teaching_point = models.ForeignKey(
        "courses.TeachingPointPage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("teaching point"),
    )
    delivery = models.CharField(
        _("delivery"), max_length=16, choices=Delivery.choices, default=Delivery.IN_PERSON
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("course"),
    )

    class Meta(Orderable.Meta):
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [
            models.Index(fields=["starts_at"]),
            models.Index(fields=["teacher", "starts_at"]),
            models.Index(fields=["teaching_point", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="session_ends_after_start",
                violation_error_message=_("A session must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SessionKind.values),
                name="session_kind_valid",
                violation_error_message=_("This is not a valid kind of session."),
            ),
            models.CheckConstraint(
                condition=Q(delivery__in=Delivery.values),
                name="session_delivery_valid",
                violation_error_message=_("This is not a valid way of delivery."),
            ),
        ]

    def __str__(self):
        return self.display_title

    @property
    def display_title(self) -> str:
        if self.title or self.kind not in SessionKind.values:
            return self.title
        return str(SessionKind(self.kind).label)

    @property
    def place(self) -> str:
        """Where the session happens, in words: the teaching point, else its venue, else the class's."""
        if self.teaching_point_id:
            return self.teaching_point.title
        return self.venue or self.training_class.venue

    @property
    def address(self) -> str:
        if self.teaching_point_id:
            return self.teaching_point.address
        school = self.training_class.school
        if hasattr(school, "school_address"):  # loaded with it (scheduling.selectors.with_school_pages)
            return school.school_address
        return getattr(school.specific, "address", "")


# --- Enrolment -----------------------------------------------------------------------------------


class EnrollmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    WAITLISTED = "waitlisted", _("On the waiting list")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class EnrollmentSource(models.TextChoices):
    STAFF = "staff", _("By staff")
    BRANCH = "branch", _("By branch")
    CATEGORY = "category", _("By category")
    SELF = "self", _("Self-enrolled")


class Enrollment(models.Model):
    """A member's place in a class (or on its waiting list). One per member and class."""

    training_class = models.ForeignKey(
        TrainingClass, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("training class")
    )
    member = models.ForeignKey(
        "people.Member", on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("member")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ENROLLED
    )
    source = models.CharField(
        _("how"), max_length=16, choices=EnrollmentSource.choices, default=EnrollmentSource.STAFF
    )
    requested_at = models.DateTimeField(
        _("requested at"), default=timezone.now, help_text=_("Waiting-list order.")
    )
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["requested_at", "id"]
        indexes = [
            models.Index(fields=["member", "status"]),
            models.Index(fields=["training_class", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["training_class", "member"],
                name="enrollment_one_per_member_and_class",
                violation_error_message=_("This member is already enrolled in this class."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=EnrollmentStatus.values),
                name="enrollment_status_valid",
                violation_error_message=_("This is not a valid enrolment status."),
            ),
            models.CheckConstraint(
                condition=Q(source__in=EnrollmentSource.values),
                name="enrollment_source_valid",
                violation_error_message=_("This is not a valid enrolment source."),
            ),
        ]

    def __str__(self):
        return f"{self.member} → {self.training_class}"


# --- Calendar feed -------------------------------------------------------------------------------


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarToken(models.Model):
    """The secret in a user's iCalendar subscription URL; resetting it cuts off old subscriptions."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("calendar link")
        verbose_name_plural = _("calendar links")

    def __str__(self):
        return str(self.user)

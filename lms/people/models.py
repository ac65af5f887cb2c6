"""People of the network: branches, members, staff scopes and the teacher pool."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import CharField, F, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from wagtail.models.audit_log import BaseLogEntry, ModelLogEntryManager


class BranchKind(models.TextChoices):
    VILLAGE = "village", _("Village")
    COMMUNITY = "community", _("Community")
    DEPARTMENT = "department", _("Department")
    ENTERPRISE = "enterprise", _("Enterprise")


class Branch(models.Model):
    """党支部: every member belongs to one; every branch sits under one township school."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=BranchKind.choices, default=BranchKind.VILLAGE)
    township = models.ForeignKey(
        "courses.TownshipSchoolPage",
        on_delete=models.PROTECT,
        related_name="branches",
        verbose_name=_("township school"),
    )

    class Meta:
        verbose_name = _("party branch")
        verbose_name_plural = _("party branches")
        ordering = ["township__path", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "name"],
                name="branch_name_unique_in_township",
                violation_error_message=_("This township already has a branch of that name."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=BranchKind.values),
                name="branch_kind_valid",
                violation_error_message=_("This is not a valid kind of branch."),
            ),
        ]

    def __str__(self):
        return self.name


class MemberCategory(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary member")
    VILLAGE_CADRE = "village_cadre", _('Village "two committees" cadre')
    BRANCH_SECRETARY = "branch_secretary", _("Branch secretary")


class Member(models.Model):
    """党员: the profile of a user who is a party member."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member", verbose_name=_("user")
    )
    name = models.CharField(_("full name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, unique=True)
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="members", verbose_name=_("branch")
    )
    category = models.CharField(
        _("category"), max_length=20, choices=MemberCategory.choices, default=MemberCategory.ORDINARY
    )
    is_migrant = models.BooleanField(_("migrant member"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=MemberCategory.values),
                name="member_category_valid",
                violation_error_message=_("This is not a valid member category."),
            ),
            models.CheckConstraint(
                condition=~Q(phone=""),
                name="member_phone_not_empty",
                violation_error_message=_("A member needs a phone number."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def township(self):
        return self.branch.township


class TeacherCategory(models.TextChoices):
    LEADING_CADRE = "leading_cadre", _("Leading cadre")
    EXPERT = "expert", _("Expert or professor")
    EXEMPLAR = "exemplar", _("Exemplar around us")


class TeacherQuerySet(models.QuerySet):
    def in_pool_during(self, first_year: int, last_year: int | None = None):
        """Teachers in the pool at some time from `first_year` to `last_year` (default: that one year)."""
        last_year = first_year if last_year is None else last_year
        return self.filter(
            Q(active_from__lte=last_year) & (Q(active_to__isnull=True) | Q(active_to__gte=first_year))
        )


class Teacher(models.Model):
    """A teacher in the organization department's pool (师资库)."""

    name = models.CharField(_("full name"), max_length=100)
    category = models.CharField(_("category"), max_length=20, choices=TeacherCategory.choices)
    organisation = models.CharField(_("organisation and post"), max_length=200, blank=True)
    subjects = models.CharField(
        _("subjects"), max_length=500, blank=True, help_text=_("What they teach, separated by commas.")
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    active_from = models.PositiveSmallIntegerField(_("in the pool since (year)"))
    active_to = models.PositiveSmallIntegerField(
        _("retired from the pool (year)"), null=True, blank=True, help_text=_("Empty while in the pool.")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teacher",
        verbose_name=_("login"),
    )

    objects = TeacherQuerySet.as_manager()

    class Meta:
        verbose_name = _("pool teacher")
        verbose_name_plural = _("teacher pool")
        ordering = ["category", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=TeacherCategory.values),
                name="teacher_category_valid",
                violation_error_message=_("This is not a valid pool category."),
            ),
            models.CheckConstraint(
                condition=Q(active_to__isnull=True) | Q(active_to__gte=F("active_from")),
                name="teacher_active_years_ordered",
                violation_error_message=_("The last year in the pool cannot be before the first."),
            ),
        ]

    def __str__(self):
        return self.name

    def is_active_in(self, year: int) -> bool:
        return self.active_from <= year and (self.active_to is None or self.active_to >= year)

    @property
    def subject_list(self) -> list[str]:
        return [part.strip() for part in self.subjects.replace("，", ",").split(",") if part.strip()]


class TeacherReviewDecision(models.TextChoices):
    ADDED = "added", _("Added to the pool")
    KEPT = "kept", _("Kept in the pool")
    RETIRED = "retired", _("Retired from the pool")


class TeacherReview(models.Model):
    """One line of the organization department's yearly pool review: one decision per teacher and year."""

    teacher = models.ForeignKey(
        Teacher, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("teacher")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    decision = models.CharField(_("decision"), max_length=10, choices=TeacherReviewDecision.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), auto_now=True)

    class Meta:
        verbose_name = _("teacher pool review")
        verbose_name_plural = _("teacher pool reviews")
        ordering = ["-year", "teacher__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["teacher", "year"],
                name="one_review_per_teacher_and_year",
                violation_error_message=_("This teacher has already been reviewed for that year."),
            ),
            models.CheckConstraint(
                condition=Q(decision__in=TeacherReviewDecision.values),
                name="teacher_review_decision_valid",
                violation_error_message=_("This is not a valid review decision."),
            ),
        ]

    def __str__(self):
        return f"{self.teacher} {self.year} {self.get_decision_display()}"


class StaffScope(models.Model):
    """Which school a staff user runs: a township school, or the city school (the whole network)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_scopes",
        verbose_name=_("user"),
    )
    school = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="staff_scopes", verbose_name=_("school")
    )

    class Meta:
        verbose_name = _("staff scope")
        verbose_name_plural = _("staff scopes")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "school"],
                name="staff_scope_unique",
                violation_error_message=_("This person is already staff of that school."),
            )
        ]

    def __str__(self):
        return f"{self.user} → {self.school}"


# --- Audit log -----------------------------------------------------------------------------------


def _pk_strings(queryset: QuerySet) -> QuerySet:
    """The primary keys of `queryset` as strings, to compare with a log entry's `object_id`."""
    return queryset.order_by().annotate(_pk_str=Cast("pk", CharField())).values("_pk_str")


def _township_id_of(instance) -> int | None:
    if isinstance(instance, Member):
        return instance.branch.township_id if instance.branch_id else None
    if isinstance(instance, Branch):
        return instance.township_id
    return None


class PeopleLogEntryManager(ModelLogEntryManager):
    def log_action(self, instance, action, **kwargs):
        kwargs.setdefault("township_id", _township_id_of(instance))
        return super().log_action(instance, action, **kwargs)

    def viewable_by_user(self, user):
        """The entries `user` may read, e.g. in the site history report: those about the members
        and branches the selectors let them see (the organization department: all).

        Wagtail's default answers by model permission, which would show township staff the names
        of members and branches changed in other townships.

        An entry about an object that no longer exists (deleted) is shown, besides the organization
        department, to the staff of the township it was logged in (`township`, recorded when the
        entry is written): they managed the object then, and nobody else learns anything from it.
        Entries without a township (e.g. carried over from before it was recorded) stay with the
        organization department.
        """
        from lms.people import selectors  # selectors import these models

        if selectors.is_org_dept(user):
            return self.all()
        if not selectors.is_staff_user(user):
            return self.none()
        member_type = ContentType.objects.get_for_model(Member, for_concrete_model=False)
        branch_type = ContentType.objects.get_for_model(Branch, for_concrete_model=False)
        in_scope = Q(
            content_type=member_type, object_id__in=_pk_strings(selectors.members_for_user(user))
        ) | Q(content_type=branch_type, object_id__in=_pk_strings(selectors.branches_for_user(user)))
        gone = Q(content_type=member_type) & ~Q(object_id__in=_pk_strings(Member.objects.all()))
        gone |= Q(content_type=branch_type) & ~Q(object_id__in=_pk_strings(Branch.objects.all()))
        logged_in_scope = Q(township__in=selectors.townships_managed_by(user).values("pk"))
        return self.filter(in_scope | (gone & logged_in_scope))


class PeopleLogEntry(BaseLogEntry):
    """Wagtail log entries about members and branches, readable per township (see the manager).

    Registered for those models in `wagtail_hooks.py`. The teacher pool keeps Wagtail's generic
    ModelLogEntry: every staff user may view the pool, so its history is no secret among staff.
    """

    object_id = models.CharField(max_length=255, blank=False)
    township = models.ForeignKey(
        "courses.TownshipSchoolPage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("township school when logged"),
    )

    objects = PeopleLogEntryManager()

    class Meta(BaseLogEntry.Meta):
        verbose_name = _("people log entry")
        verbose_name_plural = _("people log entries")
        ordering = ["-timestamp", "-id"]
        indexes = [
            *BaseLogEntry.Meta.indexes,
            models.Index(fields=["content_type", "object_id"], name="people_log_object_idx"),
        ]

    def __str__(self):
        return (
            f"PeopleLogEntry {self.pk}: '{self.action}' on '{self.object_verbose_name}'"
            f" with id {self.object_id}"
        )

"""Reads about plans, classes and sessions, scoped to what the asking user may see.

Township staff see their township's classes, city-school staff every class under their city, the
organization department all; members see the classes they are enrolled in, teachers the sessions
they teach.
"""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from wagtail.models import Page

from courses.models import CitySchoolPage, TownshipSchoolPage
from lms.people.models import Member
from lms.people.selectors import (
    User,
    is_org_dept,
    is_staff_user,
    member_profile,
    members_for_user,
    staff_scope_paths,
    teacher_profile,
)
from lms.scheduling.models import (
    PUBLIC_STATUSES,
    AnnualPlan,
    CalendarToken,
    ClassStatus,
    Enrollment,
    EnrollmentStatus,
    Session,
    TrainingClass,
)


def _path_condition(paths: list[str], field: str) -> Q:
    condition = Q()
    for path in paths:
        condition |= Q(**{f"{field}__startswith": path})
    return condition


def schools_for_user(user: User) -> QuerySet[Page]:
    """City and township school pages whose classes and plans the user runs."""
    schools = Page.objects.type(CitySchoolPage, TownshipSchoolPage).order_by("path")
    if is_org_dept(user):
        return schools
    paths = staff_scope_paths(user) if is_staff_user(user) else []
    if not paths:
        return schools.none()
    return schools.filter(_path_condition(paths, "path"))


def sessions_prefetch() -> Prefetch:
    return Prefetch(
        "sessions",
        queryset=Session.objects.select_related("teacher", "teaching_point").order_by(
            "sort_order", "starts_at"
        ),
    )


def classes_for_user(user: User) -> QuerySet[TrainingClass]:
    """Classes the user may manage (staff) — everyone else gets none."""
    classes = TrainingClass.objects.select_related("school")
    if is_org_dept(user):
        return classes
    paths = staff_scope_paths(user) if is_staff_user(user) else []
    if not paths:
        return classes.none()
    return classes.filter(_path_condition(paths, "school__path"))


def can_manage_class(user: User, training_class: TrainingClass) -> bool:
    return training_class.pk is not None and classes_for_user(user).filter(pk=training_class.pk).exists()


def can_schedule_at(user: User, school: Page) -> bool:
    return schools_for_user(user).filter(pk=school.pk).exists()


def class_list(user: User) -> QuerySet[TrainingClass]:
    """The staff list: each class with its enrolled count, without a query per row."""
    return classes_for_user(user).annotate(
        enrolled_count=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ENROLLED)),
        waitlisted_count=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.WAITLISTED)),
    )


def classes_needing_attention(
    user: User, *, year: int | None = None, ending_from: date | None = None
) -> QuerySet[TrainingClass]:
    """For the organization department's compliance view: drafts and classes whose stored 5+1+N flag
    says they break it, optionally only those starting in `year` or not over before `ending_from`."""
    classes = classes_for_user(user).filter(
        Q(status=ClassStatus.DRAFT) | Q(is_compliant=False), ~Q(status=ClassStatus.CANCELLED)
    )
    if year is not None:
        classes = classes.filter(start_date__year=year)
    if ending_from is not None:
        classes = classes.filter(end_date__gte=ending_from)
    return classes.order_by("school__path", "start_date", "id")


def class_detail(pk: int) -> TrainingClass:
    return (
        TrainingClass.objects.select_related("school")
        .prefetch_related(sessions_prefetch(), "audience_branches")
        .annotate(
            enrolled_count=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ENROLLED))
        )
        .get(pk=pk)
    )


def class_visible_to(user: User, training_class: TrainingClass) -> bool:
    """Staff in scope, enrolled members, and the teachers of its sessions may read a class; anyone may
    read a published one (its timetable is public)."""
    if training_class.status in PUBLIC_STATUSES:
        return True
    if can_manage_class(user, training_class):
        return True
    member = member_profile(user)
    if member and Enrollment.objects.filter(training_class=training_class, member=member).exists():
        return True
    teacher = teacher_profile(user)
    return bool(teacher and training_class.sessions.filter(teacher=teacher).exists())


def enrollments_of(training_class: TrainingClass) -> QuerySet[Enrollment]:
    return (
        Enrollment.objects.filter(training_class=training_class)
        .exclude(status=EnrollmentStatus.WITHDRAWN)
        .select_related("member", "member__branch", "enrolled_by")
        .order_by("status", "requested_at", "id")
    )


def enrollable_members(user: User, training_class: TrainingClass) -> QuerySet[Member]:
    """Members the user may enrol in this class: within the user's reach (own township for township
    staff, anyone under the city for the city school)."""
    return members_for_user(user) if is_staff_user(user) else Member.objects.none()


# --- Calendars -----------------------------------------------------------------------------------


def _sessions_base() -> QuerySet[Session]:
    return Session.objects.select_related(
        "training_class", "training_class__school", "teacher", "teaching_point", "course"
    ).order_by("starts_at", "id")


def member_sessions(
    member: Member, start: datetime | None = None, end: datetime | None = None
) -> QuerySet[Session]:
    """Sessions of the classes the member is enrolled in (not cancelled ones)."""
    sessions = _sessions_base().filter(
        training_class__enrollments__member=member,
        training_class__enrollments__status=EnrollmentStatus.ENROLLED,
        training_class__status__in=PUBLIC_STATUSES,
    )
    return _window(sessions, start, end)


def teacher_sessions(
    teacher, start: datetime | None = None, end: datetime | None = None
) -> QuerySet[Session]:
    sessions = _sessions_base().filter(teacher=teacher).exclude(training_class__status=ClassStatus.CANCELLED)
    return _window(sessions, start, end)


def _window(sessions: QuerySet[Session], start, end) -> QuerySet[Session]:
    if start is not None:
        sessions = sessions.filter(ends_at__gt=start)
    if end is not None:
        sessions = sessions.filter(starts_at__lt=end)
    return sessions


_UNKNOWN = object()


def user_sessions(
    user: User,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    member=_UNKNOWN,
    teacher=_UNKNOWN,
) -> QuerySet[Session]:
    """A user's own timetable: sessions they attend as a member and sessions they teach (pass
    `member` and `teacher` when already known, None for none). The enrolment is an EXISTS, not a
    join: no row multiplied, so no DISTINCT over every column (its planning alone took ~30 ms), and
    only what the timetable shows is joined (the school comes from `with_school_pages`)."""
    member = member_profile(user) if member is _UNKNOWN else member
    teacher = teacher_profile(user) if teacher is _UNKNOWN else teacher
    condition = Q(pk__in=[])
    if member:
        enrolled = Enrollment.objects.filter(
            training_class_id=OuterRef("training_class_id"), member=member, status=EnrollmentStatus.ENROLLED
        )
        condition |= Q(Exists(enrolled), training_class__status__in=PUBLIC_STATUSES)
    if teacher:
        condition |= Q(teacher=teacher) & ~Q(training_class__status=ClassStatus.CANCELLED)
    # The teaching point's title and address, not its description and photos (building the photos'
    # StreamField was a twentieth of "my training").
    sessions = Session.objects.select_related("training_class", "teacher", "teaching_point").defer(
        "teaching_point__description", "teaching_point__photos"
    )
    return _window(sessions.filter(condition).order_by("starts_at", "id"), start, end)


def with_school_pages(sessions) -> list[Session]:
    """The sessions as a list, each class's school with its address (`Session.address`) in one query,
    instead of one per session. Only the title and the address: the specific pages (city or township
    school) come with their description and photos, which cost a tenth of "my training" to build."""
    sessions = list(sessions)
    school_ids = {session.training_class.school_id for session in sessions}
    if school_ids:
        schools = Page.objects.filter(pk__in=school_ids).annotate(
            school_address=Coalesce("cityschoolpage__address", "townshipschoolpage__address", Value(""))
        )
        schools = {page.pk: page for page in schools}
        for session in sessions:
            session.training_class.school = schools[session.training_class.school_id]
    return sessions


def member_current_enrolments(member) -> list[Enrollment]:
    """The member's places in classes still to come or under way (cancelled classes left out)."""
    today = timezone.localdate()
    enrolments = list(
        Enrollment.objects.filter(
            member=member,
            status__in=[EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED],
            training_class__end_date__gte=today,
        )
        .exclude(training_class__status=ClassStatus.CANCELLED)
        .select_related("training_class", "training_class__school")
        .order_by("training_class__start_date", "training_class_id")
    )
    for enrolment in enrolments:
        enrolment.can_withdraw = enrolment.training_class.current_status(today) in (
            ClassStatus.DRAFT,
            ClassStatus.PUBLISHED,
        )
    return enrolments


def calendar_token_user(token: str):
    row = CalendarToken.objects.select_related("user").filter(token=token, user__is_active=True).first()
    return row.user if row else None


def classes_open_to(member: Member, today: date | None = None) -> list[TrainingClass]:
    """Published classes the member may join themself: self-enrolment on, not started, in their
    township (or the city school's), meant for their category and branch."""
    today = today or timezone.localdate()
    township = member.branch.township
    city_path = township.path[: Page.steplen * (township.depth - 1)]
    # Audience and enrolment as EXISTS and the head count as a subquery: no joined rows to multiply,
    # so no DISTINCT over every column.
    branches = TrainingClass.audience_branches.through.objects.filter(trainingclass_id=OuterRef("pk"))
    enrolled = Enrollment.objects.filter(training_class_id=OuterRef("pk"), status=EnrollmentStatus.ENROLLED)
    classes = (
        TrainingClass.objects.filter(status=ClassStatus.PUBLISHED, self_enrolment=True, start_date__gt=today)
        .filter(Q(school_id=township.pk) | Q(school__path=city_path))
        .filter(~Exists(branches) | Exists(branches.filter(branch_id=member.branch_id)))
        .exclude(
            Exists(
                Enrollment.objects.filter(
                    training_class_id=OuterRef("pk"),
                    member=member,
                    status__in=[EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED],
                )
            )
        )
        .select_related("school")
        .annotate(
            enrolled_count=Coalesce(
                Subquery(enrolled.order_by().values("training_class_id").annotate(n=Count("pk")).values("n")),
                0,
            ),
            # The page shows how many sessions, not which: a count, not the sessions with their
            # teachers and teaching points (a second query and page objects built for nothing).
            session_count=Coalesce(
                Subquery(
                    Session.objects.filter(training_class_id=OuterRef("pk"))
                    .order_by()
                    .values("training_class_id")
                    .annotate(n=Count("pk"))
                    .values("n")
                ),
                0,
            ),
        )
        .order_by("start_date", "id")
    )
    return [c for c in classes if not c.audience_categories or member.category in c.audience_categories]


def public_timetable(school: Page, start: date | None = None) -> QuerySet[TrainingClass]:
    """A school's published classes from `start` on, for its public timetable page."""
    start = start or timezone.localdate()
    return (
        TrainingClass.objects.filter(school=school, status__in=PUBLIC_STATUSES, end_date__gte=start)
        .select_related("school")
        .prefetch_related(sessions_prefetch())
        .order_by("start_date", "id")
    )


# --- Annual plans --------------------------------------------------------------------------------


def plans_for_user(user: User) -> QuerySet[AnnualPlan]:
    plans = AnnualPlan.objects.select_related("school")
    if is_org_dept(user):
        return plans
    paths = staff_scope_paths(user) if is_staff_user(user) else []
    if not paths:
        return plans.none()
    return plans.filter(_path_condition(paths, "school__path"))


def plan_vs_held(plan: AnnualPlan, today: date | None = None) -> list[dict]:
    """Month by month: classes and days planned against classes held (and still scheduled)."""
    today = today or timezone.localdate()
    months = {
        m: {"month": m, "planned": 0, "planned_days": Decimal(0), "held": 0, "held_days": 0, "scheduled": 0}
        for m in range(1, 13)
    }
    for planned in plan.planned_classes.all():
        months[planned.month]["planned"] += 1
        months[planned.month]["planned_days"] += planned.planned_days
    classes = TrainingClass.objects.filter(
        school_id=plan.school_id, start_date__year=plan.year, status__in=PUBLIC_STATUSES
    ).only("start_date", "end_date", "status")
    for training_class in classes:
        row = months[training_class.start_date.month]
        if training_class.start_date <= today:
            row["held"] += 1
            row["held_days"] += (training_class.end_date - training_class.start_date).days + 1
        else:
            row["scheduled"] += 1
    return [months[m] for m in range(1, 13)]


def plan_totals(rows: list[dict]) -> dict:
    totals = defaultdict(int)
    for row in rows:
        for key, value in row.items():
            if key != "month":
                totals[key] += value
    return dict(totals)

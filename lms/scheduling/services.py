"""Writes about plans, classes, sessions and enrolments. Admin, staff pages, API, demo and tasks all
come through here, so the 5+1+N rules, the double-booking checks and the scoping hold everywhere.

Bookings are checked under row locks (the teachers, teaching points and school involved; the class
for its capacity; the members for their other classes), so two requests at once cannot both take
the same teacher, the last seat, or put a member in two places.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log
from wagtail.models import Page

from courses.models import CitySchoolPage, TownshipSchoolPage
from lms.people.models import Branch, Member, Teacher
from lms.people.selectors import loaded_with_user, member_profile, members_for_user
from lms.scheduling import conflicts, rules, selectors
from lms.scheduling.models import (
    PUBLIC_STATUSES,
    AnnualPlan,
    CalendarToken,
    ClassStatus,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    Session,
    SessionKind,
    TrainingClass,
    new_calendar_token,
)

# Violations that stop even a draft from being saved (the database refuses them too).
HARD_VIOLATIONS = {"end_before_start", "class_end_before_start"}


# --- The 5+1+N skeleton --------------------------------------------------------------------------

# (kind, start, end) of a one-day class: the five mandatory items in order, the +1, one elective.
SKELETON_DAY = (
    (SessionKind.SIGN_IN, time(8, 30), time(8, 45)),
    (SessionKind.ANTHEM, time(8, 45), time(8, 50)),
    (SessionKind.OATH, time(8, 50), time(9, 0)),
    (SessionKind.CONSTITUTION, time(9, 0), time(10, 0)),
    (SessionKind.LEADER_LECTURE, time(10, 10), time(11, 40)),
    (SessionKind.SITE_VISIT, time(14, 0), time(16, 0)),
    (SessionKind.ELECTIVE, time(16, 10), time(17, 10)),
)


def class_skeleton(*, school: Page, start_date: date, title: str = "", venue: str = "") -> TrainingClass:
    """An unsaved one-day class holding the template's sessions, for staff to fill in."""
    tz = timezone.get_current_timezone()
    training_class = TrainingClass(
        school=school, title=title, start_date=start_date, end_date=start_date, venue=venue
    )
    training_class.sessions = [
        Session(
            kind=kind,
            starts_at=datetime.combine(start_date, start, tzinfo=tz),
            ends_at=datetime.combine(start_date, end, tzinfo=tz),
            sort_order=position,
        )
        for position, (kind, start, end) in enumerate(SKELETON_DAY)
    ]
    return training_class


# --- Classes -------------------------------------------------------------------------------------


def _messages(items) -> list[str]:
    return [str(item) for item in items]


def _check_school(actor, school: Page | None) -> None:
    if school is None:
        raise ValidationError({"school": _("Choose the school that runs the class.")})
    if not isinstance(school.specific, CitySchoolPage | TownshipSchoolPage):
        raise ValidationError({"school": _("Only a city or township party school can run a training class.")})
    if actor is not None and not selectors.can_schedule_at(actor, school):
        raise PermissionDenied(_("You may not schedule classes for “%(school)s”.") % {"school": school.title})


def _lock_bookings(training_class: TrainingClass, sessions: list[Session]) -> None:
    """Serialise bookings of the same teachers, teaching points and school rooms (PostgreSQL row
    locks, always taken in id order so two savers cannot deadlock)."""
    teacher_ids = sorted({s.teacher_id for s in sessions if s.teacher_id})
    page_ids = sorted(
        {s.teaching_point_id for s in sessions if s.teaching_point_id} | {training_class.school_id}
    )
    list(Teacher.objects.select_for_update().filter(pk__in=teacher_ids).order_by("pk").values_list("pk"))
    list(Page.objects.select_for_update().filter(pk__in=page_ids).order_by("pk").values_list("pk"))


def class_problems(training_class: TrainingClass, sessions: list[Session]) -> tuple[list, list]:
    """(violations of 5+1+N, double bookings) for a class as it would be saved."""
    violations = rules.class_violations(training_class, sessions)
    clashes = conflicts.booking_conflicts(training_class, sessions)
    clashes += conflicts.enrolled_member_conflicts(training_class, sessions)
    return violations, clashes


def training_class_save(
    *, actor, training_class: TrainingClass, sessions: list[Session] | None = None
) -> TrainingClass:
    """Create or update a class with its sessions.

    Refused (ValidationError listing every reason): a session ending before it starts, any double
    booking, a capacity below the members already enrolled, and — for a class already published —
    anything that breaks 5+1+N. A draft may be saved incomplete; it is marked non-compliant.
    """
    if training_class.pk and actor is not None:
        stored = TrainingClass.objects.filter(pk=training_class.pk).first()
        if stored is None or not selectors.can_manage_class(actor, stored):
            raise PermissionDenied(_("You may not change this class."))
    _check_school(actor, training_class.school if training_class.school_id else None)
    if sessions is not None:
        training_class.sessions = sessions
    sessions = list(training_class.sessions.all())
    for position, session in enumerate(sessions):
        session.sort_order = position
    training_class.full_clean(exclude=["audience_branches"], validate_constraints=False)
    with transaction.atomic():
        _lock_bookings(training_class, sessions)
        violations, clashes = class_problems(training_class, sessions)
        refused = [v for v in violations if v.code in HARD_VIOLATIONS] + clashes
        if training_class.status in PUBLIC_STATUSES:
            refused = violations + clashes
        if training_class.pk:
            enrolled = Enrollment.objects.filter(
                training_class=training_class, status=EnrollmentStatus.ENROLLED
            ).count()
            if training_class.capacity < enrolled:
                refused.append(
                    _("The capacity cannot be below the %(count)s members already enrolled.")
                    % {"count": enrolled}
                )
        if refused:
            raise ValidationError(_messages(refused))
        created = training_class.pk is None
        training_class.is_compliant = not violations
        training_class.save()
        log(instance=training_class, action="wagtail.create" if created else "wagtail.edit", user=actor)
        if not created:
            _waitlist_promote(training_class)
    return training_class


def training_class_create(
    *,
    actor,
    school: Page,
    title: str,
    start_date: date,
    end_date: date | None = None,
    sessions: list[Session] | None = None,
    **fields,
) -> TrainingClass:
    """A new draft class; without `sessions` it starts from the 5+1+N skeleton."""
    training_class = (
        class_skeleton(school=school, start_date=start_date, title=title) if sessions is None else None
    )
    if training_class is None:
        training_class = TrainingClass(school=school, title=title, start_date=start_date)
        training_class.sessions = sessions
    training_class.end_date = end_date or start_date
    branches = fields.pop("audience_branches", None)
    for name, value in fields.items():
        setattr(training_class, name, value)
    if branches is not None:
        training_class.audience_branches = branches
    training_class.created_by = actor
    return training_class_save(actor=actor, training_class=training_class)


def _locked_class(actor, training_class: TrainingClass) -> TrainingClass:
    if actor is not None and not selectors.can_manage_class(actor, training_class):
        raise PermissionDenied(_("You may not change this class."))
    return TrainingClass.objects.select_for_update().get(pk=training_class.pk)


@transaction.atomic
def training_class_publish(*, actor, training_class: TrainingClass) -> TrainingClass:
    """Publish a draft. Refused with every 5+1+N violation and double booking if there are any."""
    locked = _locked_class(actor, training_class)
    if locked.status != ClassStatus.DRAFT:
        raise ValidationError(
            _("Only a draft can be published; this class is “%(status)s”.")
            % {"status": locked.get_status_display()}
        )
    sessions = list(
        locked.sessions.select_related("teacher", "teaching_point").order_by("sort_order", "starts_at")
    )
    _lock_bookings(locked, sessions)
    violations, clashes = class_problems(locked, sessions)
    if violations or clashes:
        TrainingClass.objects.filter(pk=locked.pk).update(is_compliant=not violations)
        raise ValidationError(
            [_("The class does not follow the 5+1+N template and cannot be published:")]
            + _messages(violations + clashes)
        )
    locked.status = ClassStatus.PUBLISHED
    locked.is_compliant = True
    locked.published_at = timezone.now()
    locked.save(update_fields=["status", "is_compliant", "published_at", "updated_at"])
    log(instance=locked, action="wagtail.publish", user=actor)
    _sync(training_class, locked)
    return locked


@transaction.atomic
def training_class_unpublish(*, actor, training_class: TrainingClass) -> TrainingClass:
    """Back to draft, before the class starts (e.g. to rework the timetable)."""
    locked = _locked_class(actor, training_class)
    if locked.current_status() != ClassStatus.PUBLISHED:
        raise ValidationError(_("Only a published class that has not started can go back to draft."))
    locked.status = ClassStatus.DRAFT
    locked.save(update_fields=["status", "updated_at"])
    log(instance=locked, action="wagtail.unpublish", user=actor)
    _sync(training_class, locked)
    return locked


@transaction.atomic
def training_class_cancel(*, actor, training_class: TrainingClass, reason: str) -> TrainingClass:
    """Cancel with a reason. Its teachers, teaching points and rooms are free again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the class is cancelled.")})
    locked = _locked_class(actor, training_class)
    if locked.status == ClassStatus.CANCELLED:
        raise ValidationError(_("The class is already cancelled."))
    if locked.current_status() == ClassStatus.FINISHED:
        raise ValidationError(_("A class that has finished cannot be cancelled."))
    locked.status = ClassStatus.CANCELLED
    locked.cancel_reason = reason[:500]
    locked.save(update_fields=["status", "cancel_reason", "updated_at"])
    log(instance=locked, action="scheduling.cancel", user=actor, data={"reason": locked.cancel_reason})
    _sync(training_class, locked)
    return locked


def training_class_copy(
    *, actor, training_class: TrainingClass, start_date: date, title: str = ""
) -> TrainingClass:
    """A new draft with the same timetable moved to `start_date` (no enrolments)."""
    if actor is not None and not selectors.can_manage_class(actor, training_class):
        raise PermissionDenied(_("You may not copy this class."))
    source = selectors.class_detail(training_class.pk)
    shift = start_date - source.start_date
    sessions = [
        Session(
            kind=s.kind,
            title=s.title,
            starts_at=s.starts_at + shift,
            ends_at=s.ends_at + shift,
            teacher_id=s.teacher_id,
            venue=s.venue,
            teaching_point_id=s.teaching_point_id,
            delivery=s.delivery,
            course_id=s.course_id,
        )
        for s in source.sessions.all()
    ]
    copy = TrainingClass(
        school=source.school,
        title=title or source.title,
        description=source.description,
        audience_categories=list(source.audience_categories),
        start_date=start_date,
        end_date=source.end_date + shift,
        capacity=source.capacity,
        venue=source.venue,
        self_enrolment=source.self_enrolment,
        created_by=actor,
    )
    copy.audience_branches = list(source.audience_branches.all())
    return training_class_save(actor=actor, training_class=copy, sessions=sessions)


def class_statuses_advance(*, today: date | None = None) -> int:
    """Store what the calendar says: published classes are in progress on their days, finished after."""
    today = today or timezone.localdate()
    active = TrainingClass.objects.filter(status__in=[ClassStatus.PUBLISHED, ClassStatus.IN_PROGRESS])
    changed = active.filter(end_date__lt=today).update(status=ClassStatus.FINISHED)
    changed += active.filter(status=ClassStatus.PUBLISHED, start_date__lte=today, end_date__gte=today).update(
        status=ClassStatus.IN_PROGRESS
    )
    return changed


def class_compliance_refresh(training_classes) -> int:
    """Recompute the stored compliance flag (e.g. after a teaching point was unpublished or moved)."""
    changed = 0
    for training_class in training_classes:
        compliant = rules.is_compliant(training_class)
        if compliant != training_class.is_compliant:
            TrainingClass.objects.filter(pk=training_class.pk).update(is_compliant=compliant)
            changed += 1
    return changed


def _sync(target: TrainingClass, source: TrainingClass) -> None:
    for name in ("status", "cancel_reason", "is_compliant", "published_at", "updated_at"):
        setattr(target, name, getattr(source, name))


# --- Enrolment -----------------------------------------------------------------------------------


@dataclass
class EnrolmentReport:
    enrolled: list[Member] = field(default_factory=list)
    waitlisted: list[Member] = field(default_factory=list)
    already: list[Member] = field(default_factory=list)
    refused: list[tuple[Member, str]] = field(default_factory=list)

    def summary(self) -> str:
        return _(
            "%(enrolled)s enrolled, %(waitlisted)s on the waiting list, %(already)s already in the class, "
            "%(refused)s refused."
        ) % {
            "enrolled": len(self.enrolled),
            "waitlisted": len(self.waitlisted),
            "already": len(self.already),
            "refused": len(self.refused),
        }


def _check_open_for_enrolment(training_class: TrainingClass) -> None:
    if training_class.status == ClassStatus.CANCELLED:
        raise ValidationError(_("The class is cancelled."))
    if training_class.current_status() == ClassStatus.FINISHED:
        raise ValidationError(_("The class has finished."))


def _enrol(*, actor, training_class: TrainingClass, members: list[Member], source: str) -> EnrolmentReport:
    """The one way into a class: under a lock on the class (capacity) and on the members (their other
    classes), enrol up to capacity, then onto the waiting list; refuse members busy elsewhere."""
    report = EnrolmentReport()
    locked = TrainingClass.objects.select_for_update().get(pk=training_class.pk)
    _check_open_for_enrolment(locked)
    member_ids = sorted({m.pk for m in members})
    list(Member.objects.select_for_update().filter(pk__in=member_ids).order_by("pk").values_list("pk"))
    existing = {
        e.member_id: e for e in Enrollment.objects.filter(training_class=locked, member_id__in=member_ids)
    }
    busy = conflicts.member_conflicts(locked, member_ids)
    seats = (
        locked.capacity
        - Enrollment.objects.filter(training_class=locked, status=EnrollmentStatus.ENROLLED).count()
    )
    now = timezone.now()
    to_create, to_update = [], []
    for member in sorted({m.pk: m for m in members}.values(), key=lambda m: m.pk):
        current = existing.get(member.pk)
        if current and current.status != EnrollmentStatus.WITHDRAWN:
            report.already.append(member)
            continue
        if member.pk in busy:
            report.refused.append((member, busy[member.pk].message))
            continue
        status = EnrollmentStatus.ENROLLED if seats > 0 else EnrollmentStatus.WAITLISTED
        seats -= status == EnrollmentStatus.ENROLLED
        (report.enrolled if status == EnrollmentStatus.ENROLLED else report.waitlisted).append(member)
        if current:
            current.status, current.source, current.requested_at, current.enrolled_by = (
                status,
                source,
                now,
                actor,
            )
            to_update.append(current)
        else:
            to_create.append(
                Enrollment(
                    training_class=locked,
                    member=member,
                    status=status,
                    source=source,
                    requested_at=now,
                    enrolled_by=actor,
                )
            )
    Enrollment.objects.bulk_create(to_create)
    Enrollment.objects.bulk_update(
        to_update, ["status", "source", "requested_at", "enrolled_by", "updated_at"]
    )
    return report


@transaction.atomic
def enrolment_add(
    *, actor, training_class: TrainingClass, members, source: str = EnrollmentSource.STAFF
) -> EnrolmentReport:
    """Staff enrol members. Township staff may enrol only their township's members; the city school
    anyone under the city; members out of reach are reported as refused."""
    if not selectors.can_manage_class(actor, training_class):
        raise PermissionDenied(_("You may not enrol members into this class."))
    members = list(members)
    reachable = set(
        members_for_user(actor).filter(pk__in=[m.pk for m in members]).values_list("pk", flat=True)
    )
    outside = [m for m in members if m.pk not in reachable]
    report = _enrol(
        actor=actor,
        training_class=training_class,
        members=[m for m in members if m.pk in reachable],
        source=source,
    )
    report.refused += [
        (m, _("%(name)s is not a member of your township.") % {"name": m.name}) for m in outside
    ]
    return report


def enrolment_add_branch(*, actor, training_class: TrainingClass, branch: Branch) -> EnrolmentReport:
    return enrolment_add(
        actor=actor,
        training_class=training_class,
        members=branch.members.all(),
        source=EnrollmentSource.BRANCH,
    )


def enrolment_add_category(
    *, actor, training_class: TrainingClass, category: str, township=None
) -> EnrolmentReport:
    """E.g. all village cadres of one township (or of every township the actor reaches)."""
    members = members_for_user(actor).filter(category=category)
    if township is not None:
        members = members.filter(branch__township=township)
    return enrolment_add(
        actor=actor, training_class=training_class, members=members, source=EnrollmentSource.CATEGORY
    )


@transaction.atomic
def enrolment_self(*, user, training_class: TrainingClass) -> Enrollment:
    """A member joins a class open to them (self-enrolment on, not started, meant for them)."""
    member = member_profile(user)
    if member is None:
        raise PermissionDenied(_("Only party members can enrol in a class."))
    if training_class.pk not in {c.pk for c in selectors.classes_open_to(member)}:
        mine = Enrollment.objects.filter(training_class=training_class, member=member).first()
        if mine and mine.status != EnrollmentStatus.WITHDRAWN:
            return mine
        raise ValidationError(_("This class is not open for you to join."))
    report = _enrol(actor=user, training_class=training_class, members=[member], source=EnrollmentSource.SELF)
    if report.refused:
        raise ValidationError(report.refused[0][1])
    return Enrollment.objects.get(training_class=training_class, member=member)


@transaction.atomic
def enrolment_withdraw(*, actor, enrollment: Enrollment) -> Enrollment | None:
    """Take a member out (the member before the class starts, or staff). The first member on the
    waiting list who is free at that time moves up; returns that enrolment, if any."""
    training_class = TrainingClass.objects.select_for_update().get(pk=enrollment.training_class_id)
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    own = actor is not None and enrollment.member.user_id == actor.pk
    if not own and not selectors.can_manage_class(actor, training_class):
        raise PermissionDenied(_("You may not change this enrolment."))
    if (
        own
        and not selectors.can_manage_class(actor, training_class)
        and training_class.current_status()
        not in (
            ClassStatus.DRAFT,
            ClassStatus.PUBLISHED,
        )
    ):
        raise ValidationError(_("The class has started; ask the school to take you off the list."))
    if enrollment.status == EnrollmentStatus.WITHDRAWN:
        return None
    enrollment.status = EnrollmentStatus.WITHDRAWN
    enrollment.save(update_fields=["status", "updated_at"])
    promoted = _waitlist_promote(training_class)
    return promoted[0] if promoted else None


def _waitlist_promote(training_class: TrainingClass) -> list[Enrollment]:
    """Fill free seats from the waiting list, in order, skipping members now busy elsewhere."""
    free = (
        training_class.capacity
        - Enrollment.objects.filter(training_class=training_class, status=EnrollmentStatus.ENROLLED).count()
    )
    if free <= 0:
        return []
    waiting = list(
        Enrollment.objects.select_for_update()
        .filter(training_class=training_class, status=EnrollmentStatus.WAITLISTED)
        .order_by("requested_at", "id")
    )
    busy = conflicts.member_conflicts(training_class, [e.member_id for e in waiting])
    promoted = []
    for enrollment in waiting:
        if len(promoted) == free:
            break
        if enrollment.member_id in busy:
            continue
        enrollment.status = EnrollmentStatus.ENROLLED
        enrollment.save(update_fields=["status", "updated_at"])
        promoted.append(enrollment)
    return promoted


# --- Calendar links and plans --------------------------------------------------------------------


def calendar_token_for(*, user) -> CalendarToken:
    if loaded_with_user(user, "calendar_token") and getattr(user, "calendar_token", None) is not None:
        return user.calendar_token
    token, _created = CalendarToken.objects.get_or_create(user=user)
    return token


def calendar_token_reset(*, user) -> CalendarToken:
    token = calendar_token_for(user=user)
    token.token = new_calendar_token()
    token.save(update_fields=["token", "created_at"])
    return token


def annual_plan_save(*, actor, plan: AnnualPlan) -> AnnualPlan:
    """Create or update a school's plan for a year (one per school and year)."""
    if plan.pk and actor is not None:
        stored = AnnualPlan.objects.filter(pk=plan.pk).first()
        if stored is None or not selectors.plans_for_user(actor).filter(pk=stored.pk).exists():
            raise PermissionDenied(_("You may not change this plan."))
    _check_school(actor, plan.school if plan.school_id else None)
    plan.full_clean()
    with transaction.atomic():
        created = plan.pk is None
        plan.save()
        log(instance=plan, action="wagtail.create" if created else "wagtail.edit", user=actor)
    return plan

"""Reads about teacher evaluation: what a member has to evaluate, and who may see which results.

Who sees what:
- a member sees only their own open and answered evaluations (never anyone's answers);
- a teacher sees the aggregated results of their own sessions;
- school staff see the results of their schools' sessions;
- the organization department sees everything, including the county ranking.
Results themselves only ever come out aggregated (see results.py).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from lms.attendance.models import AttendanceRecord
from lms.compiled import CompiledQuery, Slot
from lms.evaluation.models import (
    Ballot,
    Questionnaire,
    QuestionnaireKind,
    QuestionnaireStatus,
    SessionEvaluation,
    Submission,
)
from lms.evaluation.services import EVALUATING_STATUSES
from lms.people.models import Member, Teacher
from lms.people.selectors import is_org_dept, is_staff_user, teacher_profile
from lms.scheduling.models import PUBLIC_STATUSES, TAUGHT_KINDS, Session
from lms.scheduling.selectors import classes_for_user, schools_for_user


@dataclass
class OpenEvaluation:
    session: Session
    closes_at: datetime
    closing_soon: bool


def _open_sessions(member_id, now, since) -> QuerySet[Session]:
    """Taught sessions ended between `since` and `now` that the member attended and has not evaluated."""
    return (
        Session.objects.filter(
            kind__in=TAUGHT_KINDS,
            teacher__isnull=False,
            training_class__status__in=PUBLIC_STATUSES,
            ends_at__lte=now,
            ends_at__gt=since,
            attendance__member_id=member_id,
            attendance__status__in=EVALUATING_STATUSES,
        )
        .exclude(evaluation__submissions__member_id=member_id)
        .select_related("training_class", "teacher", "evaluation")
        .order_by("ends_at")
    )


# On every member's home page: compiled once per process (lms/compiled.py).
_OPEN_SESSIONS = CompiledQuery(
    lambda s: _open_sessions(s.member, s.now, s.since),
    Slot("member", -774_000_201),
    Slot("now", datetime(2001, 2, 3, 4, 5, 6, 789_201, tzinfo=UTC)),
    Slot("since", datetime(2001, 2, 3, 4, 5, 6, 789_202, tzinfo=UTC)),
)


def member_open_evaluations(member: Member | None, now: datetime | None = None) -> list[OpenEvaluation]:
    """Sessions the member attended that they may still evaluate, the soonest closing first (one
    query, however many)."""
    if member is None:
        return []
    now = now or timezone.now()
    period = timedelta(days=settings.EVALUATION_OPEN_DAYS)
    # A changed setting may have widened a window: a day more than the period.
    sessions = _OPEN_SESSIONS.all(member=member.pk, now=now, since=now - period - timedelta(days=1))
    remind = timedelta(hours=settings.EVALUATION_REMIND_HOURS)
    open_ones = []
    for session in sessions:
        evaluation = getattr(session, "evaluation", None)
        closes_at = evaluation.closes_at if evaluation else session.ends_at + period
        if closes_at > now:
            open_ones.append(OpenEvaluation(session, closes_at, closes_at - now <= remind))
    return sorted(open_ones, key=lambda item: item.closes_at)


def member_answered_sessions(member: Member | None, since: datetime) -> QuerySet[Session]:
    """Sessions the member has evaluated (that they did, not what they said)."""
    if member is None:
        return Session.objects.none()
    return (
        Session.objects.filter(evaluation__submissions__member=member, ends_at__gte=since)
        .select_related("training_class", "teacher")
        .order_by("-ends_at")
    )


def evaluations_for_user(user) -> QuerySet[SessionEvaluation]:
    """Session evaluations whose results the user may see: the organization department all, staff
    their schools' sessions, a teacher their own, anyone else none."""
    evaluations = SessionEvaluation.objects.select_related(
        "session__training_class__school", "teacher", "standard_form", "school_form"
    )
    if is_org_dept(user):
        return evaluations
    condition = Q(pk__in=[])
    if is_staff_user(user):
        condition |= Q(session__training_class__in=classes_for_user(user))
    teacher = teacher_profile(user)
    if teacher is not None:
        condition |= Q(teacher=teacher)
    return evaluations.filter(condition)


def sealed_ballots() -> Exists:
    """For a SessionEvaluation queryset: whether ballots of it wait in the box (its results are not
    counted yet, even if it has closed)."""
    return Exists(Ballot.objects.filter(evaluation=OuterRef("pk")))


def _count_of(queryset) -> Subquery:
    """A correlated COUNT(*) subquery (two joined counts would multiply each other's rows)."""
    return Subquery(
        queryset.order_by().values(group=Value(1)).annotate(total=Count("*")).values("total"),
        output_field=IntegerField(),
    )


def evaluation_list(user) -> QuerySet[SessionEvaluation]:
    """The list of visible evaluations with their response and attendance counts (one query)."""
    return (
        evaluations_for_user(user)
        .annotate(
            responses=Coalesce(_count_of(Submission.objects.filter(evaluation=OuterRef("pk"))), 0),
            eligible=Coalesce(
                _count_of(
                    AttendanceRecord.objects.filter(
                        session_id=OuterRef("session_id"), status__in=EVALUATING_STATUSES
                    )
                ),
                0,
            ),
            sealed=sealed_ballots(),
        )
        .order_by("-opens_at", "pk")
    )


def teacher_evaluations(teacher: Teacher) -> QuerySet[SessionEvaluation]:
    """A teacher's own evaluated sessions, latest first, with their response counts (one query)."""
    return (
        SessionEvaluation.objects.filter(teacher=teacher)
        .select_related("session__training_class__school")
        .annotate(responses=Count("submissions"), sealed=sealed_ballots())
        .order_by("-opens_at", "pk")
    )


def teacher_evaluation_years(teacher: Teacher) -> list[int]:
    """The years in which the teacher has evaluated sessions, latest first."""
    return list(
        SessionEvaluation.objects.filter(teacher=teacher)
        .annotate(year=ExtractYear("session__starts_at"))
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )


def teacher_evaluation(teacher: Teacher, session_id: int) -> SessionEvaluation | None:
    return (
        SessionEvaluation.objects.select_related("session__training_class__school", "teacher")
        .filter(session_id=session_id, teacher=teacher)
        .first()
    )


def can_see_teacher(user, teacher: Teacher) -> bool:
    """A teacher's yearly report: the teacher and the organization department."""
    if is_org_dept(user):
        return True
    own = teacher_profile(user)
    return own is not None and own.pk == teacher.pk


def can_see_ranking(user) -> bool:
    return is_org_dept(user)


def questionnaires_for_user(user) -> QuerySet[Questionnaire]:
    """Staff see the standard form (every version) and their schools' own questions."""
    questionnaires = Questionnaire.objects.select_related("school")
    if is_org_dept(user):
        return questionnaires
    if not is_staff_user(user):
        return questionnaires.none()
    return questionnaires.filter(Q(kind=QuestionnaireKind.STANDARD) | Q(school__in=schools_for_user(user)))


def standard_form_in_use() -> Questionnaire | None:
    return Questionnaire.objects.filter(
        kind=QuestionnaireKind.STANDARD, status=QuestionnaireStatus.ACTIVE
    ).first()


def non_respondents(evaluation: SessionEvaluation) -> QuerySet[Member]:
    """Members who attended and have not answered (for staff reminding them; who answered is not secret,
    what they answered is)."""
    return (
        Member.objects.filter(
            Exists(
                AttendanceRecord.objects.filter(
                    session_id=evaluation.session_id, member=OuterRef("pk"), status__in=EVALUATING_STATUSES
                )
            )
        )
        .exclude(Exists(Submission.objects.filter(evaluation=evaluation, member=OuterRef("pk"))))
        .select_related("branch")
        .order_by("branch__name", "name")
    )

"""Reads of lms.quizzes, scoped to who asks: members see their own papers and attempts, staff their
schools' banks and papers, teachers the essays of the papers they mark (without names)."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from wagtail.models import Page

from lms.people.models import Member
from lms.people.roles import Role
from lms.people.selectors import (
    is_org_dept,
    is_staff_user,
    member_profile,
    staff_scope_paths,
    teacher_profile,
    user_has_role,
)
from lms.quizzes.models import (
    QUESTION_TYPES,
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    LessonCheck,
    Paper,
    PaperKind,
    PaperPart,
    PaperStatus,
    Question,
    ReviewPolicy,
    YearSetting,
)
from lms.scheduling.models import Enrollment, EnrollmentStatus, SessionKind

# --- Who may do what ------------------------------------------------------------------------------


def _under(paths: list[str], field: str) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field}__path__startswith": path})
    return condition


def can_edit_bank(user, school: Page | None) -> bool:
    """The county bank (no school): the organization department and city-school staff. A township's
    bank: staff whose scope covers it."""
    if is_org_dept(user):
        return True
    if not is_staff_user(user):
        return False
    if school is None:
        return user_has_role(user, Role.CITY_STAFF)
    return any(school.path.startswith(path) for path in staff_scope_paths(user))


def questions_for_staff(user) -> QuerySet[Question]:
    """The banks a staff member may read: the county bank and their schools' banks."""
    questions = Question.objects.select_related("category", "school", "polymorphic_ctype")
    if is_org_dept(user):
        return questions
    if not is_staff_user(user):
        return questions.none()
    return questions.filter(Q(school__isnull=True) | _under(staff_scope_paths(user), "school"))


def papers_for_staff(user) -> QuerySet[Paper]:
    papers = Paper.objects.select_related("school", "session")
    if is_org_dept(user):
        return papers
    if not is_staff_user(user):
        return papers.none()
    return papers.filter(_under(staff_scope_paths(user), "school"))


def can_manage_paper(user, paper: Paper) -> bool:
    return papers_for_staff(user).filter(pk=paper.pk).exists()


def marks_required(paper: Paper) -> int:
    if paper.second_marker:
        return 2
    if paper.kind == PaperKind.EXAM:
        year = (paper.opens_at or paper.created_at or timezone.now()).year
        if YearSetting.objects.filter(year=year, second_marker_for_exams=True).exists():
            return 2
    return 1


def can_mark(user, paper: Paper) -> bool:
    teacher = teacher_profile(user)
    return teacher is not None and paper.teachers.filter(pk=teacher.pk).exists()


def marking_queue(user) -> QuerySet[AttemptQuestion]:
    """Essays waiting for this teacher: of papers they mark, not yet marked by them. No member names:
    only the attempt's anonymous code travels with the answer."""
    teacher = teacher_profile(user)
    if teacher is None:
        return AttemptQuestion.objects.none()
    from lms.quizzes.models import EssayMark

    return (
        AttemptQuestion.objects.filter(
            needs_marking=True,
            attempt__status=AttemptStatus.MARKING,
            attempt__paper__teachers=teacher,
        )
        .exclude(Exists(EssayMark.objects.filter(slot=OuterRef("pk"), marker=user)))
        .select_related("attempt__paper", "question")
        .only(
            "id",
            "position",
            "points",
            "response",
            "attempt__code",
            "attempt__submitted_at",
            "attempt__paper__title",
            "question__text",
        )
        .order_by("attempt__submitted_at", "attempt_id", "position")
    )


# --- Members --------------------------------------------------------------------------------------


def _member_papers_condition(member: Member) -> Q:
    township = member.branch.township
    ancestors = list(township.get_ancestors(inclusive=True).values_list("pk", flat=True))
    enrolled_classes = Enrollment.objects.filter(member=member, status=EnrollmentStatus.ENROLLED).values(
        "training_class_id"
    )
    by_session = Q(session__isnull=False, session__training_class_id__in=enrolled_classes)
    by_township = Q(session__isnull=True) & (
        Q(townships=township)
        | (
            Q(school_id__in=ancestors)
            & ~Exists(Paper.townships.through.objects.filter(paper_id=OuterRef("pk")))
        )
    )
    return by_session | by_township


def papers_for_member(member: Member) -> QuerySet[Paper]:
    """Published papers set for this member (lesson checks are reached through their lessons)."""
    return (
        Paper.objects.filter(status=PaperStatus.PUBLISHED)
        .exclude(kind=PaperKind.LESSON_CHECK)
        .filter(_member_papers_condition(member))
        .distinct()
        .select_related("session")
        .order_by("-opens_at", "-id")
    )


def paper_open_to(member: Member, paper: Paper) -> bool:
    if paper.kind == PaperKind.LESSON_CHECK:
        return True  # whoever reaches the lesson
    return Paper.objects.filter(pk=paper.pk).filter(_member_papers_condition(member)).exists()


def paper_members(paper: Paper) -> QuerySet[Member]:
    if paper.session_id:
        return Member.objects.filter(
            enrollments__training_class_id=paper.session.training_class_id,
            enrollments__status=EnrollmentStatus.ENROLLED,
        )
    townships = list(paper.townships.values_list("pk", flat=True))
    if townships:
        return Member.objects.filter(branch__township_id__in=townships)
    return Member.objects.filter(branch__township__path__startswith=paper.school.path)


def open_attempt(member: Member, paper: Paper) -> Attempt | None:
    from lms.quizzes.services import attempt_expire_if_due

    attempt = Attempt.objects.filter(member=member, paper=paper, status=AttemptStatus.IN_PROGRESS).first()
    if attempt is None:
        return None
    attempt.paper = paper
    attempt = attempt_expire_if_due(attempt)
    return attempt if attempt.is_open else None


def attempts_of_member(member: Member, paper_ids) -> dict[int, list[Attempt]]:
    found: dict[int, list[Attempt]] = {}
    for attempt in Attempt.objects.filter(member=member, paper_id__in=list(paper_ids)).order_by("number"):
        found.setdefault(attempt.paper_id, []).append(attempt)
    return found


def attempt_for_user(user, attempt_id: int) -> Attempt | None:
    """The member's own attempt (expired ones are submitted on the way), or None."""
    from lms.quizzes.services import attempt_expire_if_due

    member = member_profile(user)
    if member is None:
        return None
    attempt = Attempt.objects.select_related("paper").filter(pk=attempt_id, member=member).first()
    if attempt is None:
        return None
    return attempt_expire_if_due(attempt)


def seconds_left(attempt: Attempt) -> int | None:
    if attempt.deadline is None or not attempt.is_open:
        return None
    return max(0, int((attempt.deadline - timezone.now()).total_seconds()))


def review_allowed(attempt: Attempt) -> bool:
    """Correct answers and explanations: only once the result is released, and as the paper says."""
    if attempt.status != AttemptStatus.RELEASED:
        return False
    policy = attempt.paper.review
    if policy == ReviewPolicy.AFTER_SUBMIT:
        return True
    if policy == ReviewPolicy.AFTER_CLOSE:
        return attempt.paper.closes_at is not None and timezone.now() >= attempt.paper.closes_at
    return False


def attempt_slots(attempt: Attempt) -> list[tuple[AttemptQuestion, Question]]:
    """The attempt's questions in the member's order, each with its real (typed) question."""
    slots = list(AttemptQuestion.objects.filter(attempt=attempt).order_by("position"))
    questions = Question.objects.in_bulk({slot.question_id for slot in slots})
    return [(slot, questions[slot.question_id]) for slot in slots]


def shown_response(slot: AttemptQuestion, question: Question):
    """The saved answer as the member's screen shows it (their order of options)."""
    response = slot.response
    if response is None:
        return None
    if question.type_code == "true_false":
        return 0 if response else 1
    if question.type_code in ("single", "multiple"):
        order = slot.option_order or list(range(len(question.options_list)))
        position = {stored: shown for shown, stored in enumerate(order)}
        if question.type_code == "multiple":
            return sorted(position[i] for i in response if i in position)
        return position.get(response)
    return response


def question_payload(slot: AttemptQuestion, question: Question, *, review: bool) -> dict:
    """What the member's screen gets for one question. Before review: no correct answer, no
    explanation, and options only in the member's own order."""
    options = question.options_list
    order = slot.option_order or list(range(len(options)))
    payload = {
        "position": slot.position,
        "type": question.type_code,
        "type_label": str(question.type_label),
        "text": question.text,
        "points": slot.points,
        "options": [options[i] for i in order] if options else [],
        "answer": shown_response(slot, question),
        "saved_at": slot.saved_at,
    }
    if review:
        payload.update(
            score=slot.score,
            correct=question.correct_display(),
            explanation=question.explanation,
        )
    return payload


def draw_pool(paper: Paper, part: PaperPart) -> list[int]:
    """Ids of current questions a random part may draw: from the county bank and the paper's school's."""
    questions = Question.objects.filter(category_id=part.category_id, is_current=True).filter(
        Q(school__isnull=True) | Q(school_id=paper.school_id)
    )
    if part.difficulty:
        questions = questions.filter(difficulty=part.difficulty)
    if part.question_type:
        model = QUESTION_TYPES[part.question_type]
        questions = questions.instance_of(model)
    return list(questions.values_list("pk", flat=True))


def lesson_checks_passed(member: Member, lesson_ids) -> dict[int, bool | None]:
    """For each lesson: None when it has no required check, else whether the member passed it
    (a released attempt that passed). Two queries whatever the number of lessons."""
    lesson_ids = list(lesson_ids)
    result: dict[int, bool | None] = dict.fromkeys(lesson_ids)
    checks = dict(
        LessonCheck.objects.filter(lesson_id__in=lesson_ids, required=True).values_list(
            "lesson_id", "paper_id"
        )
    )
    if not checks:
        return result
    passed = set(
        Attempt.objects.filter(
            member=member, paper_id__in=set(checks.values()), status=AttemptStatus.RELEASED, passed=True
        ).values_list("paper_id", flat=True)
    )
    for lesson_id, paper_id in checks.items():
        result[lesson_id] = paper_id in passed
    return result


def exam_counts_toward_hours(year: int) -> bool:
    """The organization department's choice for the year (default: yes)."""
    setting = YearSetting.objects.filter(year=year).first()
    return True if setting is None else setting.exam_counts_toward_hours


def exam_sessions_uncounted(year: int) -> Q:
    """Attendance records of exam sessions, when the department's setting says exams do not count
    toward hours in `year`: a condition on an AttendanceRecord that the hours queries (lms.attendance,
    which has it registered from QuizzesConfig.ready and never imports this app) evaluate in the
    database, the setting read by a subquery that does not depend on the row (run once per query)."""
    return Q(session__kind=SessionKind.EXAM) & Q(
        Exists(YearSetting.objects.filter(year=year, exam_counts_toward_hours=False))
    )

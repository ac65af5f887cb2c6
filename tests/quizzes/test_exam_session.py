"""An exam session (理论考试) in a training class: compliant timetable, sign-in like any session, the
paper only for the class's members; a lesson check; the department's yearly settings."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from lms.attendance import qr
from lms.attendance import services as attendance
from lms.quizzes import selectors, services
from lms.quizzes.models import LessonCheck, PaperKind, YearSetting
from lms.scheduling import rules
from lms.scheduling.models import Session, SessionKind
from tests.attendance.conftest import held  # noqa: F401
from tests.quizzes.conftest import fixed_paper

pytestmark = pytest.mark.django_db


@pytest.fixture
def exam(held, bank):  # noqa: F811
    lecture = held["lecture"]
    session = Session.objects.create(
        training_class=held["training_class"],
        kind=SessionKind.EXAM,
        starts_at=lecture.starts_at + timedelta(hours=4),
        ends_at=lecture.starts_at + timedelta(hours=5),
        sort_order=20,
    )
    paper = fixed_paper(
        held["town_a"],
        [bank["single"], bank["fill"]],
        kind=PaperKind.EXAM,
        session=session,
        opens_at=session.starts_at,
        closes_at=session.ends_at,
        time_limit_minutes=45,
    )
    return {**held, "session": session, "paper": paper}


def test_an_exam_session_keeps_the_class_compliant_and_is_signed_into(exam):
    assert rules.class_violations(exam["training_class"]) == []
    at = exam["session"].starts_at + timedelta(minutes=1)
    result = attendance.attendance_check_in(
        user=exam["member_a"].user, code=qr.code_for(exam["session"].pk, at=at.timestamp()), now=at
    )
    assert result.created and result.record.session == exam["session"]


def test_only_the_class_members_take_the_exam_and_only_while_it_is_open(exam, frozen_clock):
    assert list(selectors.papers_for_member(exam["member_a"])) == [exam["paper"]]
    assert list(selectors.papers_for_member(exam["member_b"])) == []
    with pytest.raises(PermissionDenied):
        services.attempt_start(user=exam["member_b"].user, paper=exam["paper"])
    frozen_clock.move_to(exam["session"].starts_at - timedelta(minutes=5))
    with pytest.raises(services.QuizRefused) as refused:
        services.attempt_start(user=exam["member_a"].user, paper=exam["paper"])
    assert refused.value.reason == "not_open"
    frozen_clock.move_to(exam["session"].ends_at - timedelta(minutes=10))
    attempt, _ = services.attempt_start(user=exam["member_a"].user, paper=exam["paper"])
    assert attempt.deadline == exam["session"].ends_at  # the paper's closing caps the 45 minutes


def test_lesson_checks_passed(county, bank):
    from wagtail.models import Page

    from courses.learning_models import Lesson
    from tests import factories

    course = factories.course(factories.course_index(county["city"]))
    lessons = [Lesson.objects.create(course=course, title=f"第{i}课") for i in range(3)]
    check = fixed_paper(county["city"], [bank["single"]], kind=PaperKind.LESSON_CHECK, attempts_allowed=0)
    LessonCheck.objects.create(lesson=lessons[0], paper=check)
    LessonCheck.objects.create(lesson=lessons[1], paper=check, required=False)
    member = county["member_a"]
    ids = [lesson.pk for lesson in lessons]
    assert selectors.lesson_checks_passed(member, ids) == {ids[0]: False, ids[1]: None, ids[2]: None}
    attempt, _ = services.attempt_start(user=member.user, paper=check)
    slot = attempt.slots.get()
    services.attempt_save_answer(
        user=member.user, attempt_id=attempt.pk, position=1, value=slot.option_order.index(1)
    )
    services.attempt_submit(user=member.user, attempt_id=attempt.pk)
    assert selectors.lesson_checks_passed(member, ids)[ids[0]] is True
    assert selectors.lesson_checks_passed(county["member_b"], ids)[ids[0]] is False
    assert Page.objects.filter(pk=course.pk).exists()


def test_exam_hours_setting_per_year():
    assert selectors.exam_counts_toward_hours(2026) is True  # the default
    YearSetting.objects.create(year=2026, exam_counts_toward_hours=False)
    assert selectors.exam_counts_toward_hours(2026) is False

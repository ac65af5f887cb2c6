"""A lesson with a check (lms.quizzes) counts as complete only once the check is passed, in a course
that says so."""

import pytest

from courses import learning_selectors as selectors
from courses import learning_services as services
from courses.learning_models import CompletionWay
from lms.quizzes import services as quizzes
from lms.quizzes.models import LessonCheck, PaperKind
from tests.courses.learning_helpers import online_course
from tests.quizzes.conftest import bank, fixed_paper, history  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def pass_check(member, paper):
    attempt, _ = quizzes.attempt_start(user=member.user, paper=paper)
    slot = attempt.slots.get()
    quizzes.attempt_save_answer(
        user=member.user, attempt_id=attempt.pk, position=1, value=slot.option_order.index(1)
    )
    quizzes.attempt_submit(user=member.user, attempt_id=attempt.pk)


@pytest.mark.parametrize("required", [True, False])
def test_a_checked_lesson_waits_for_its_check_when_the_course_requires_it(county, bank, required):  # noqa: F811
    course, lessons = online_course(county["town_a"], checks_required=required)
    text_lesson, member = lessons[2], county["member_a"]
    paper = fixed_paper(county["town_a"], [bank["single"]], kind=PaperKind.LESSON_CHECK, attempts_allowed=0)
    LessonCheck.objects.create(lesson=text_lesson, paper=paper)
    services.lesson_complete(member=member, lesson=text_lesson, way=CompletionWay.READ)
    item = selectors.course_progress(member, course).item(text_lesson.pk)
    assert item.material_done and item.check_passed is False
    assert item.complete is (not required)
    pass_check(member, paper)
    item = selectors.course_progress(member, course).item(text_lesson.pk)
    assert item.check_passed is True and item.complete

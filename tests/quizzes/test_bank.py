import pytest
from django.core.exceptions import PermissionDenied

from lms.quizzes import selectors, services
from lms.quizzes.models import PaperPart, Question

pytestmark = pytest.mark.django_db


def test_a_frozen_question_gets_a_new_version_and_attempts_keep_theirs(county, paper, bank):
    attempt, _ = services.attempt_start(user=county["member_a"].user, paper=paper)
    question = Question.objects.get(pk=bank["single"].pk)
    assert question.frozen
    new = services.question_edit(user=county["city_staff"], question=question, text="党成立于？")
    assert new.pk != question.pk and new.version == 2 and new.previous_id == question.pk
    question.refresh_from_db()
    assert not question.is_current and question.text == "中国共产党成立于哪一年？"
    assert attempt.slots.filter(question=question).exists()  # the attempt keeps what it was asked
    assert PaperPart.objects.filter(paper=paper, question=new).exists()  # the paper moves on
    again = services.question_edit(user=county["city_staff"], question=new, explanation="改")
    assert again.pk == new.pk  # not asked yet: changed in place


def test_bank_scoping(county, history):
    town_q = services.question_create(
        user=county["staff_a"],
        type_code="true_false",
        school=county["town_a"],
        category=history,
        text="甲镇题",
        correct=True,
    )
    with pytest.raises(PermissionDenied):
        services.question_create(
            user=county["staff_a"], type_code="true_false", category=history, text="县题"
        )
    with pytest.raises(PermissionDenied):
        services.question_edit(user=county["staff_b"], question=town_q, text="改")
    with pytest.raises(PermissionDenied):
        services.question_create(
            user=county["member_a"].user,
            type_code="true_false",
            school=county["town_a"],
            category=history,
            text="x",
        )
    services.question_create(user=county["city_staff"], type_code="true_false", category=history, text="县题")
    assert set(selectors.questions_for_staff(county["staff_a"]).values_list("text", flat=True)) == {
        "甲镇题",
        "县题",
    }
    assert set(selectors.questions_for_staff(county["staff_b"]).values_list("text", flat=True)) == {"县题"}
    assert selectors.questions_for_staff(county["member_a"].user).count() == 0
    assert selectors.questions_for_staff(county["org"]).count() == 2


def test_who_gets_which_paper(county, bank):
    from tests.quizzes.conftest import fixed_paper

    town_paper = fixed_paper(county["town_a"], [bank["single"]], title="甲镇测验")
    fixed_paper(county["city"], [bank["single"]], title="全县测验")
    picked = fixed_paper(county["city"], [bank["single"]], title="乙镇专场")
    picked.townships.add(county["town_b"])
    a = set(selectors.papers_for_member(county["member_a"]).values_list("title", flat=True))
    b = set(selectors.papers_for_member(county["member_b"]).values_list("title", flat=True))
    assert a == {"甲镇测验", "全县测验"}
    assert b == {"全县测验", "乙镇专场"}
    with pytest.raises(PermissionDenied):
        services.attempt_start(user=county["member_b"].user, paper=town_paper)

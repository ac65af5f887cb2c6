"""Questionnaire services: new versions copy every question type with its own fields, the standard form
needs its satisfaction item to go in use, a school's questions stay few."""

import pytest
from django.core.exceptions import ValidationError

from lms.evaluation import questionnaires as services
from lms.evaluation.models import (
    MultipleChoiceQuestion,
    Question,
    QuestionnaireStatus,
    RatingQuestion,
    SingleChoiceQuestion,
    TextQuestion,
)
from lms.evaluation.selectors import standard_form_in_use

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def standard(county):
    return standard_form_in_use()


def test_a_new_version_copies_every_question_type_with_its_own_fields(county, standard):
    org = county["org"]
    draft = services.questionnaire_new_version(actor=org, questionnaire=standard)
    services.question_add(
        actor=org,
        questionnaire=draft,
        question=SingleChoiceQuestion(text="授课形式", options=["讲授", "研讨"], required=False, code="form"),
    )
    services.question_add(
        actor=org,
        questionnaire=draft,
        question=MultipleChoiceQuestion(text="收获", options=["理论", "方法", "案例"]),
    )
    copy = services.questionnaire_new_version(actor=org, questionnaire=draft)

    def snapshot(questionnaire):
        rows = []
        for question in questionnaire.questions.order_by("sort_order"):
            row = [type(question), question.sort_order, question.text, question.code, question.required]
            if isinstance(question, RatingQuestion):
                row += [question.labels, question.allow_not_applicable, question.counts_for_satisfaction]
            elif isinstance(question, SingleChoiceQuestion | MultipleChoiceQuestion):
                row += [question.options]
            elif isinstance(question, TextQuestion):
                row += [question.max_length]
            rows.append(row)
        return rows

    assert copy.version == draft.version + 1 == 3
    assert copy.previous == draft and copy.status == QuestionnaireStatus.DRAFT
    assert snapshot(copy) == snapshot(draft)
    assert {type(q) for q in copy.questions.all()} == {
        RatingQuestion,
        TextQuestion,
        SingleChoiceQuestion,
        MultipleChoiceQuestion,
    }
    # The copies are new rows; the original's questions are untouched.
    assert not set(copy.questions.values_list("pk", flat=True)) & set(
        draft.questions.values_list("pk", flat=True)
    )
    assert Question.objects.filter(questionnaire=draft).count() == 8
    with pytest.raises(ValidationError):
        services.questionnaire_new_version(actor=org, questionnaire=draft)  # it already has a newer one


def test_the_standard_form_goes_in_use_only_with_its_satisfaction_item(county, standard):
    org = county["org"]
    draft = services.questionnaire_new_version(actor=org, questionnaire=standard)
    satisfaction = RatingQuestion.objects.get(questionnaire=draft, counts_for_satisfaction=True)
    services.question_delete(actor=org, question=satisfaction)
    with pytest.raises(ValidationError, match="satisfaction"):
        services.questionnaire_activate(actor=org, questionnaire=draft)
    standard.refresh_from_db()
    assert standard.status == QuestionnaireStatus.ACTIVE

    services.question_add(
        actor=org,
        questionnaire=draft,
        question=RatingQuestion(text="总体满意度", counts_for_satisfaction=True),
    )
    services.questionnaire_activate(actor=org, questionnaire=draft)
    standard.refresh_from_db()
    assert standard.status == QuestionnaireStatus.RETIRED
    assert standard_form_in_use() == draft


def test_a_school_adds_at_most_ten_questions_and_no_satisfaction_item(county):
    staff = county["staff_a"]
    own = services.questionnaire_create(actor=staff, school=county["town_a"], title="甲镇补充题")
    with pytest.raises(ValidationError) as error:
        services.question_add(
            actor=staff,
            questionnaire=own,
            question=RatingQuestion(text="满意度", counts_for_satisfaction=True),
        )
    assert "counts_for_satisfaction" in error.value.message_dict
    for number in range(services.SCHOOL_QUESTIONS_MAX):
        services.question_add(actor=staff, questionnaire=own, question=TextQuestion(text=f"建议{number}"))
    with pytest.raises(ValidationError, match="at most 10"):
        services.question_add(actor=staff, questionnaire=own, question=TextQuestion(text="再一题"))
    assert own.questions.count() == services.SCHOOL_QUESTIONS_MAX

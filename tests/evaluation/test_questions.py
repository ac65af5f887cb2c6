"""Each question type checks its own answers."""

import pytest
from django.core.exceptions import ValidationError

from lms.evaluation.models import (
    NOT_APPLICABLE,
    MultipleChoiceQuestion,
    RatingQuestion,
    SingleChoiceQuestion,
    TextQuestion,
)

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize("raw, value", [(1, 1), (5, 5), ("3", 3), (" 4", 4)])
def test_rating_takes_one_to_five(raw, value):
    assert RatingQuestion(text="q").clean_answer(raw) == value


@pytest.mark.parametrize("raw", [0, 6, -1, "7", "abc", 4.5, "4.5", True, [4], {"v": 4}])
def test_rating_refuses_out_of_range_and_other_types(raw):
    with pytest.raises(ValidationError) as error:
        RatingQuestion(text="q").clean_answer(raw)
    assert error.value.code == "invalid"


def test_not_applicable_only_where_offered():
    assert RatingQuestion(text="q", allow_not_applicable=True).clean_answer("na") == NOT_APPLICABLE
    with pytest.raises(ValidationError, match="not offered"):
        RatingQuestion(text="q").clean_answer("na")


@pytest.mark.parametrize(
    "model", [RatingQuestion, SingleChoiceQuestion, MultipleChoiceQuestion, TextQuestion]
)
def test_required_questions_must_be_answered_optional_ones_not(model):
    question = (
        model(text="q", required=True, options=["a", "b"])
        if model
        in (
            SingleChoiceQuestion,
            MultipleChoiceQuestion,
        )
        else model(text="q", required=True)
    )
    for missing in (None, "", []):
        with pytest.raises(ValidationError) as error:
            question.clean_answer(missing)
        assert error.value.code == "required"
    question.required = False
    assert question.clean_answer(None) is None


def test_single_choice_takes_a_known_position():
    question = SingleChoiceQuestion(text="q", options=["讲授", "研讨", "现场"])
    assert question.clean_answer(2) == 2
    assert question.clean_answer("0") == 0
    for unknown in (3, -1, "x", True):
        with pytest.raises(ValidationError, match="Unknown option"):
            question.clean_answer(unknown)
    with pytest.raises(ValidationError, match="one option"):
        question.clean_answer([0, 1])


def test_multiple_choice_takes_known_positions_once_each():
    question = MultipleChoiceQuestion(text="q", options=["a", "b", "c"])
    assert question.clean_answer([2, "0", 2]) == [0, 2]
    assert question.clean_answer(1) == [1]
    with pytest.raises(ValidationError, match="Unknown option"):
        question.clean_answer([0, 5])


def test_text_is_trimmed_and_limited():
    question = TextQuestion(text="q", required=False, max_length=10)
    assert question.clean_answer("  很好  ") == "很好"
    assert question.clean_answer("   ") is None
    with pytest.raises(ValidationError, match="At most 10"):
        question.clean_answer("长" * 11)
    with pytest.raises(ValidationError):
        question.clean_answer(5)


def test_question_definitions_are_checked():
    with pytest.raises(ValidationError):
        RatingQuestion(text="q", labels=["a", "b", "c", "d"]).clean()
    with pytest.raises(ValidationError):
        RatingQuestion(text="q", labels=["a", "b", "", "d", "e"]).clean()
    with pytest.raises(ValidationError):
        SingleChoiceQuestion(text="q", options=["only"]).clean()
    with pytest.raises(ValidationError):
        MultipleChoiceQuestion(text="q", options=["a", "a"]).clean()
    SingleChoiceQuestion(text="q", options=["a", "b"]).clean()

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from lms.quizzes.models import normalise_text

pytestmark = pytest.mark.django_db


def test_single_choice(bank):
    q = bank["single"]
    assert q.fraction(q.clean_response(1)) == 1
    assert q.fraction(q.clean_response("0")) == 0
    with pytest.raises(ValidationError):
        q.clean_response(3)
    with pytest.raises(ValidationError):
        q.clean_response(True)


def test_multiple_choice_all_or_nothing_and_partial(bank):
    q = bank["multiple"]  # correct 0, 1, 3 of four; partial credit
    assert q.fraction(q.clean_response([3, 1, 0])) == 1
    assert q.fraction(q.clean_response([0, 1])) == Decimal(2) / 3
    assert q.fraction(q.clean_response([0, 2])) == 0  # one right, one wrong
    assert q.fraction(q.clean_response([2])) == 0  # never below zero
    assert q.fraction(q.clean_response([0, 1, 2, 3])) == Decimal(2) / 3
    q.partial_credit = False
    assert q.fraction([0, 1]) == 0
    assert q.fraction([0, 1, 3]) == 1


def test_true_false(bank):
    q = bank["true_false"]
    assert q.fraction(q.clean_response(0)) == 1  # option 0 is "true"
    assert q.fraction(q.clean_response(1)) == 0
    assert q.fraction(None) == 0
    with pytest.raises(ValidationError):
        q.clean_response(2)


def test_fill_in_normalises_widths_spaces_and_case(bank):
    q = bank["fill"]
    assert q.fraction(q.clean_response(" 人 民 ")) == 1
    assert q.fraction(q.clean_response("人\u3000民")) == 1  # full-width space
    q.accepted = ["ABC 123", "人民群众"]
    assert q.fraction("ａｂｃ１２３") == 1  # full-width letters and digits
    assert q.fraction("abc123") == 1
    assert q.fraction("人民群众") == 1
    assert q.fraction("群众") == 0
    assert normalise_text("（１）") == "(1)"


def test_essay_waits_for_a_person(bank):
    q = bank["essay"]
    assert q.fraction("我的理解……") is None
    assert q.fraction(q.clean_response("   ")) == 0  # nothing written: nothing to mark

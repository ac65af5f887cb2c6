"""Aggregates on known answers: means, distributions, satisfaction rates, flags and composite scores."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.evaluation import ranking, results
from lms.evaluation.models import DepartmentScore, ScoringScheme
from lms.evaluation.ranking import NOT_AWARD_ELIGIBLE, RECTIFICATION, REMOVAL_RECOMMENDED, satisfaction_flags
from tests import factories
from tests.evaluation.conftest import make_taught
from tests.evaluation.helpers import answer_all, close

pytestmark = pytest.mark.django_db


def test_session_result_means_distributions_and_satisfaction(taught):
    evaluation = close(
        answer_all(taught, [5, 5, 4, 3, 2, 5], comments=["好", "很好", "一般", "", "", "讲得透"])
    )
    result = results.session_result(evaluation, now=evaluation.closes_at)
    assert result.is_shown and result.responses == 6 and result.eligible == 6
    assert result.response_rate == Decimal("100.0")
    overall = result.satisfaction
    assert [step.count for step in overall.steps] == [0, 1, 1, 1, 3]
    assert overall.mean == Decimal("4.00")  # 24 / 6
    assert overall.satisfaction_rate == Decimal("66.7")  # 4 of 6
    assert [step.share for step in overall.steps] == [
        Decimal("0.0"),
        Decimal("16.7"),
        Decimal("16.7"),
        Decimal("16.7"),
        Decimal("50.0"),
    ]
    preparation = result.questions[0]
    assert preparation.mean == Decimal("4.00") and preparation.satisfaction_rate == Decimal("100.0")
    assert sorted(result.questions[-1].comments) == sorted(["好", "很好", "一般", "讲得透"])


def test_response_rate_counts_only_those_who_attended(taught):
    evaluation = answer_all(taught, [5, 5, 5, 5, 5])  # five of six attended members
    result = results.session_result(evaluation, now=evaluation.closes_at)
    assert (result.responses, result.eligible, result.response_rate) == (5, 6, Decimal("83.3"))


@pytest.mark.parametrize(
    "satisfied, rated, expected",
    [
        (599, 1000, [NOT_AWARD_ELIGIBLE, RECTIFICATION]),  # 59.9 %
        (600, 1000, [NOT_AWARD_ELIGIBLE]),  # 60 %
        (899, 1000, [NOT_AWARD_ELIGIBLE]),  # 89.9 %
        (900, 1000, []),  # 90 %
        (1, 3, [NOT_AWARD_ELIGIBLE, RECTIFICATION]),
        (0, 0, []),  # no answers, no flags
    ],
)
def test_flags_at_the_exact_thresholds(satisfied, rated, expected):
    assert satisfaction_flags(satisfied, rated) == expected


def test_removal_needs_two_consecutive_years_below_sixty():
    assert REMOVAL_RECOMMENDED in satisfaction_flags(599, 1000, previous=(599, 1000))
    assert REMOVAL_RECOMMENDED not in satisfaction_flags(599, 1000, previous=(600, 1000))
    assert REMOVAL_RECOMMENDED not in satisfaction_flags(600, 1000, previous=(100, 1000))
    assert REMOVAL_RECOMMENDED not in satisfaction_flags(599, 1000, previous=None)


def test_composite_score_from_weighted_parts(taught):
    evaluation = close(answer_all(taught, [5, 5, 5, 4, 3, 2]))  # satisfaction 4/6; other ratings all 4
    ScoringScheme.objects.create(
        year=2026,
        satisfaction_weight=30,
        rating_weight=20,
        review_weight=20,
        sessions_weight=30,
        sessions_target=4,
    )
    now = evaluation.closes_at
    row = next(r for r in ranking.teacher_ranking(2026, now=now) if r.teacher == taught["teacher"])
    assert row.composite is None and row.missing_parts == ["review"]
    DepartmentScore.objects.create(teacher=taught["teacher"], year=2026, score=Decimal("80"))
    row = next(r for r in ranking.teacher_ranking(2026, now=now) if r.teacher == taught["teacher"])
    # Ratings: 4 questions × 6 × 4 = 96, overall 5+5+5+4+3+2 = 24 → mean 120/30 = 4 → 75 points.
    assert row.mean_rating == Decimal("4.00")
    assert row.satisfaction_rate == Decimal("66.7")
    # The teacher taught the lecture and the site visit of the class: 2 of a target of 4 → 50 points.
    assert row.sessions_taught == 2
    expected = (Decimal(4) / 6 * 100 * 30 + 75 * 20 + 80 * 20 + Decimal(50) * 30) / 100
    assert row.composite == expected.quantize(Decimal("0.1"))
    assert row.flags == [NOT_AWARD_ELIGIBLE]
    assert row.rank == 1


def test_ranking_orders_within_category_and_compares_with_the_county(county):
    first = make_taught(county, members=5)
    evaluation = close(answer_all(first, [5, 5, 5, 5, 5]))
    second_teacher = factories.TeacherFactory(name="乙老师")
    now = evaluation.closes_at
    # Without composite scores, rank by satisfaction rate; a teacher without answers gets no rank.
    rows = {r.teacher: r for r in ranking.teacher_ranking(2026, now=now)}
    assert rows[first["teacher"]].rank == 1 and rows[second_teacher].rank is None
    assert rows[first["teacher"]].county_rate == Decimal("100.0")
    assert rows[first["teacher"]].vs_county == Decimal("0.0")
    assert (
        rows[first["teacher"]].trend[2026] == Decimal("100.0") and rows[first["teacher"]].trend[2025] is None
    )


def test_ranking_costs_the_same_queries_for_more_teachers_and_answers(county):
    def measure(year):
        with CaptureQueriesContext(connection) as queries:
            rows = ranking.teacher_ranking(year, now=now)
        return len(queries), rows

    small = make_taught(county, members=5)
    evaluation = close(answer_all(small, [5, 4, 5, 4, 5]))
    now = evaluation.closes_at
    few, rows = measure(2026)
    assert len(rows) == 1
    for _ in range(5):
        factories.TeacherFactory()
    DepartmentScore.objects.create(teacher=small["teacher"], year=2026, score=90)
    bigger = make_taught(county, members=9, day=small["lecture"].starts_at.date() + timedelta(days=1))
    now = close(answer_all(bigger, [5, 4, 3, 5, 4, 3, 5, 4, 3])).closes_at
    many, rows = measure(2026)
    assert len(rows) == 7 and sum(row.responses for row in rows) == 14
    assert many == few

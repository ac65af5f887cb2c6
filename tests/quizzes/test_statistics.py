from decimal import Decimal

import pytest

from lms.quizzes import services, statistics
from lms.quizzes.models import Paper, PaperPart, PaperStatus, SingleChoiceQuestion
from tests import factories

pytestmark = pytest.mark.django_db


def test_statistics_on_four_known_attempts(county, history):
    """Two single-choice questions of 1 point, four members:
    member  q1   q2   total
    A       A✓   A✓   2
    B       A✓   B✗   1
    C       B✗   A✓   1
    D       C✗   B✗   0
    Facility: q1 50 %, q2 50 %. Discrimination of q1: correlation of its scores (1,1,0,0) with the rest
    of the paper (q2: 1,0,1,0) = 0; q2 likewise 0. Pass mark 50 %: A, B, C pass (75 %)."""
    q1 = SingleChoiceQuestion.objects.create(category=history, text="一", options=["A", "B", "C"], correct=0)
    q2 = SingleChoiceQuestion.objects.create(category=history, text="二", options=["A", "B"], correct=0)
    paper = Paper.objects.create(
        school=county["city"],
        title="统计",
        status=PaperStatus.PUBLISHED,
        pass_percent=50,
        shuffle_options=False,
    )
    PaperPart.objects.create(paper=paper, position=1, question=q1)
    PaperPart.objects.create(paper=paper, position=2, question=q2)
    members = [county["member_a"], county["member_b"]] + [
        factories.MemberFactory(branch=county["branch_b"]) for _ in range(2)
    ]
    answers = [(0, 0), (0, 1), (1, 0), (2, 1)]
    for member, (a1, a2) in zip(members, answers, strict=True):
        attempt, _ = services.attempt_start(user=member.user, paper=paper)
        for slot in attempt.slots.all():
            value = a1 if slot.question_id == q1.pk else a2
            services.attempt_save_answer(
                user=member.user, attempt_id=attempt.pk, position=slot.position, value=value
            )
        services.attempt_submit(user=member.user, attempt_id=attempt.pk)

    summary = statistics.paper_summary(paper)
    assert summary["attempts"] == 4 and summary["passed"] == 3
    assert summary["pass_rate"] == Decimal("75.0") and summary["mean"] == Decimal("1.00")
    assert [b["count"] for b in summary["bands"]] == [1, 0, 0, 0, 0, 2, 0, 0, 0, 1]
    towns = {row["name"]: row for row in statistics.paper_by_group(paper, "member__branch__township__title")}
    assert towns["甲镇党校"]["attempts"] == 1 and towns["甲镇党校"]["pass_rate"] == Decimal("100.0")
    assert towns["乙镇党校"]["attempts"] == 3 and towns["乙镇党校"]["passed"] == 2

    rows = {row["question"].pk: row for row in statistics.question_statistics(paper)}
    assert rows[q1.pk]["facility"] == 50.0 and rows[q2.pk]["facility"] == 50.0
    assert rows[q1.pk]["discrimination"] == 0.0
    assert [o["count"] for o in rows[q1.pk]["options"]] == [2, 1, 1]
    assert [o["count"] for o in rows[q2.pk]["options"]] == [2, 2]


def test_discrimination_of_a_question_the_strong_get_right(county, history):
    """q1 right for the two who also got q2 and q3 right: scores (1,1,0,0), rest (2,2,0,0) → 100."""
    qs = [
        SingleChoiceQuestion.objects.create(category=history, text=f"{i}", options=["A", "B"], correct=0)
        for i in range(3)
    ]
    paper = Paper.objects.create(
        school=county["city"], title="区分度", status=PaperStatus.PUBLISHED, shuffle_options=False
    )
    for i, q in enumerate(qs):
        PaperPart.objects.create(paper=paper, position=i, question=q)
    members = [factories.MemberFactory(branch=county["branch_a"]) for _ in range(4)]
    for index, member in enumerate(members):
        attempt, _ = services.attempt_start(user=member.user, paper=paper)
        for slot in attempt.slots.all():
            services.attempt_save_answer(
                user=member.user, attempt_id=attempt.pk, position=slot.position, value=0 if index < 2 else 1
            )
        services.attempt_submit(user=member.user, attempt_id=attempt.pk)
    rows = statistics.question_statistics(paper)
    assert all(row["discrimination"] == 100.0 for row in rows)

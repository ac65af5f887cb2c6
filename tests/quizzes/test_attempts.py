import json
import threading
from datetime import timedelta

import pytest
from django.db import connection

from lms.quizzes import selectors, services
from lms.quizzes.models import (
    Attempt,
    AttemptStatus,
    Difficulty,
    Paper,
    PaperPart,
    PaperStatus,
    SingleChoiceQuestion,
)
from lms.quizzes.services import QuizRefused

pytestmark = pytest.mark.django_db


def shown(attempt, question):
    """The position of the stored option `question.correct` on this member's screen."""
    slot = attempt.slots.get(question=question)
    return slot.option_order.index(question.correct), slot.position


def test_start_draws_every_question_once_and_freezes_them(county, paper, bank):
    attempt, created = services.attempt_start(user=county["member_a"].user, paper=paper)
    assert created
    assert attempt.slots.count() == 5
    assert attempt.max_score == 50
    assert attempt.deadline == attempt.started_at + timedelta(minutes=30)
    assert all(q.frozen for q in type(bank["single"]).objects.filter(pk=bank["single"].pk))


def test_one_open_attempt_resumes_on_another_device(county, paper, bank, client):
    user = county["member_a"].user
    first, _ = services.attempt_start(user=user, paper=paper)
    value, position = shown(first, bank["single"])
    services.attempt_save_answer(user=user, attempt_id=first.pk, position=position, value=value)
    again, created = services.attempt_start(user=user, paper=paper)  # the phone, then a village terminal
    assert not created and again.pk == first.pk
    client.force_login(user)
    body = client.get(f"/api/v1/quizzes/attempts/{first.pk}").json()
    saved = next(q for q in body["questions"] if q["position"] == position)
    assert saved["answer"] == value and saved["saved_at"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_make_one_attempt(county, paper):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL")
    user = county["member_a"].user
    results, barrier = [], threading.Barrier(4)

    def start():
        from django.db import connection as own

        barrier.wait()
        try:
            results.append(services.attempt_start(user=user, paper=paper)[0].pk)
        finally:
            own.close()

    threads = [threading.Thread(target=start) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(set(results)) == 1 and len(results) == 4
    assert Attempt.objects.filter(member=county["member_a"], paper=paper).count() == 1


def test_attempts_allowed(county, paper):
    user = county["member_a"].user
    attempt, _ = services.attempt_start(user=user, paper=paper)
    services.attempt_submit(user=user, attempt_id=attempt.pk)
    with pytest.raises(QuizRefused) as refused:
        services.attempt_start(user=user, paper=paper)
    assert refused.value.reason == "no_attempts_left"


def test_answers_after_the_limit_are_refused_and_the_attempt_submits_itself(
    county, paper, bank, frozen_clock
):
    user = county["member_a"].user
    attempt, _ = services.attempt_start(user=user, paper=paper)
    value, position = shown(attempt, bank["single"])
    services.attempt_save_answer(user=user, attempt_id=attempt.pk, position=position, value=value)
    frozen_clock.shift(timedelta(minutes=30, seconds=1))
    with pytest.raises(QuizRefused) as refused:
        services.attempt_save_answer(user=user, attempt_id=attempt.pk, position=position, value=0)
    assert refused.value.reason == "time_up"
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.RELEASED  # an unanswered essay has nothing to mark
    assert attempt.auto_submitted
    assert attempt.slots.get(position=position).score == 10  # the answer saved in time counts


def test_the_sweep_submits_expired_attempts(county, paper, frozen_clock):
    services.attempt_start(user=county["member_a"].user, paper=paper)
    services.attempt_start(user=county["member_b"].user, paper=paper)
    frozen_clock.shift(timedelta(minutes=20))
    assert services.attempts_expire() == 0
    frozen_clock.shift(timedelta(minutes=11))
    assert services.attempts_expire() == 2
    assert set(Attempt.objects.values_list("status", flat=True)) == {AttemptStatus.RELEASED}
    assert Attempt.objects.filter(auto_submitted=True).count() == 2


def test_reading_an_expired_attempt_submits_it(county, paper, frozen_clock, client):
    user = county["member_a"].user
    attempt, _ = services.attempt_start(user=user, paper=paper)
    frozen_clock.shift(timedelta(hours=1))
    client.force_login(user)
    body = client.get(f"/api/v1/quizzes/attempts/{attempt.pk}").json()
    assert body["status"] != AttemptStatus.IN_PROGRESS
    attempt.refresh_from_db()
    assert attempt.auto_submitted


def test_random_draws_honour_category_and_difficulty_and_never_repeat(county, history):
    from lms.quizzes.models import Category, Module

    other = Category.objects.create(module=Module.GENERAL, name="党章")
    easy = [
        SingleChoiceQuestion.objects.create(
            category=history, text=f"易{i}", options=["a", "b"], correct=0, difficulty=Difficulty.EASY
        )
        for i in range(6)
    ]
    SingleChoiceQuestion.objects.create(
        category=history, text="难", options=["a", "b"], correct=0, difficulty=Difficulty.HARD
    )
    SingleChoiceQuestion.objects.create(category=other, text="别类", options=["a", "b"], correct=0)
    paper = Paper.objects.create(
        school=county["city"], title="随机", status=PaperStatus.PUBLISHED, attempts_allowed=0
    )
    PaperPart.objects.create(
        paper=paper, category=history, difficulty=Difficulty.EASY, count=4, question_type="single"
    )
    PaperPart.objects.create(paper=paper, category=history, difficulty=Difficulty.EASY, count=2)
    for _round in range(5):
        attempt, _ = services.attempt_start(user=county["member_a"].user, paper=paper)
        ids = list(attempt.slots.values_list("question_id", flat=True))
        assert len(ids) == 6 and set(ids) == {q.pk for q in easy}
        services.attempt_submit(user=county["member_a"].user, attempt_id=attempt.pk)
    PaperPart.objects.create(paper=paper, category=history, count=2)  # only the hard one is left
    with pytest.raises(QuizRefused) as refused:
        services.attempt_start(user=county["member_a"].user, paper=paper)
    assert refused.value.reason == "bank_too_small"


def test_options_are_shuffled_per_member_and_answers_map_back(county, history):
    question = SingleChoiceQuestion.objects.create(
        category=history, text="选", options=[str(i) for i in range(8)], correct=5
    )
    paper = Paper.objects.create(
        school=county["city"], title="乱序", status=PaperStatus.PUBLISHED, attempts_allowed=0
    )
    PaperPart.objects.create(paper=paper, question=question)
    orders = set()
    for _round in range(6):
        attempt, _ = services.attempt_start(user=county["member_a"].user, paper=paper)
        slot = attempt.slots.get()
        orders.add(tuple(slot.option_order))
        services.attempt_save_answer(
            user=county["member_a"].user, attempt_id=attempt.pk, position=1, value=slot.option_order.index(5)
        )
        attempt = services.attempt_submit(user=county["member_a"].user, attempt_id=attempt.pk)
        assert attempt.score == 1 and attempt.passed
    assert len(orders) > 1


def test_no_correct_answer_in_json_or_html_before_review(county, paper, bank, client):
    user = county["member_a"].user
    attempt, _ = services.attempt_start(user=user, paper=paper)
    client.force_login(user)
    body = json.dumps(client.get(f"/api/v1/quizzes/attempts/{attempt.pk}").json(), ensure_ascii=False)
    page = client.get(f"/me/quizzes/attempts/{attempt.pk}/").content.decode()
    for text in (body, page):
        assert "中国共产党成立于哪一年" in text
        assert "中共一大" not in text  # explanation
        assert "观点正确" not in text  # rubric
        assert '"correct"' not in text and "accepted" not in text
    assert json.loads(body)["questions"][0].keys() >= {"options", "answer"}
    review = client.get(f"/api/v1/quizzes/attempts/{attempt.pk}/review")
    assert review.status_code == 409


def test_review_after_release(county, paper, bank, client):
    user = county["member_a"].user
    attempt, _ = services.attempt_start(user=user, paper=paper)
    services.attempt_submit(user=user, attempt_id=attempt.pk)
    client.force_login(user)
    review = client.get(f"/api/v1/quizzes/attempts/{attempt.pk}/review")
    assert review.status_code == 200, review.content
    assert "中共一大" in json.dumps(review.json(), ensure_ascii=False)


def test_another_member_cannot_see_or_answer(county, paper, client):
    attempt, _ = services.attempt_start(user=county["member_a"].user, paper=paper)
    client.force_login(county["member_b"].user)
    assert client.get(f"/api/v1/quizzes/attempts/{attempt.pk}").status_code == 404
    answer = client.put(
        f"/api/v1/quizzes/attempts/{attempt.pk}/answers/1", {"value": 0}, content_type="application/json"
    )
    assert answer.status_code in (403, 404)
    assert client.get(f"/me/quizzes/attempts/{attempt.pk}/").status_code == 404
    assert selectors.attempt_for_user(county["member_b"].user, attempt.pk) is None

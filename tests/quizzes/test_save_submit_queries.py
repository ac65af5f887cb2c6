"""The exam's last minutes are many saves and one submit per member at once: both answer in a fixed
number of round trips, whatever the paper's length, through the bearer token (the phone app) and the
browser session alike, and still refuse what they refused."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.people.tokens import api_token_issue
from lms.quizzes import services
from lms.quizzes.models import AttemptQuestion, AttemptStatus, SingleChoiceQuestion
from tests.quizzes.conftest import fixed_paper

pytestmark = pytest.mark.django_db


def paper_of(county, history, count: int):
    questions = [
        SingleChoiceQuestion.objects.create(
            category=history, text=f"第{n}题", options=["甲", "乙", "丙", "丁"], correct=n % 4
        )
        for n in range(count)
    ]
    return fixed_paper(county["city"], questions, time_limit_minutes=30, pass_percent=60)


def bearer(user) -> dict:
    plaintext, _token = api_token_issue(user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def save(client, attempt, position, value, headers):
    return client.put(
        f"/api/v1/quizzes/attempts/{attempt.pk}/answers/{position}",
        {"value": value},
        content_type="application/json",
        **headers,
    )


def measured(call) -> tuple[int, object, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    return len(captured), response, [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("size", [3, 30])
def test_a_save_costs_the_same_few_queries_whatever_the_paper(client, county, history, size):
    user = county["member_a"].user
    paper = paper_of(county, history, size)
    attempt, _ = services.attempt_start(user=user, paper=paper)
    headers = bearer(user)
    save(client, attempt, 1, 0, headers)  # warm
    count, response, sql = measured(lambda: save(client, attempt, 2, 1, headers))
    assert response.status_code == 200, response.content
    # the token with its user and profiles; the slot with its attempt (locked), paper and question;
    # the answer's update; and the test's savepoint and its release (BEGIN and COMMIT outside a test)
    assert count == 5, "\n".join(sql)
    slot = AttemptQuestion.objects.get(attempt=attempt, position=2)
    assert slot.response == slot.option_order[1] and slot.saved_at is not None


def test_a_save_through_the_browser_session_is_as_cheap(client, county, history):
    user = county["member_a"].user
    paper = paper_of(county, history, 5)
    attempt, _ = services.attempt_start(user=user, paper=paper)
    client.force_login(user)
    save(client, attempt, 1, 0, {})
    count, response, sql = measured(lambda: save(client, attempt, 2, 1, {}))
    assert response.status_code == 200
    assert count == 5, "\n".join(sql)  # the session (cached) and its user instead of the token


@pytest.mark.parametrize("size", [3, 30])
def test_a_submit_marks_in_bulk_in_the_same_few_queries(client, county, history, size):
    user = county["member_a"].user
    paper = paper_of(county, history, size)
    attempt, _ = services.attempt_start(user=user, paper=paper)
    headers = bearer(user)
    for slot in attempt.slots.select_related("question"):
        right = slot.option_order.index(slot.question.get_real_instance().correct)
        save(client, attempt, slot.position, right, headers)
    count, response, sql = measured(
        lambda: client.post(f"/api/v1/quizzes/attempts/{attempt.pk}/submit", **headers)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == AttemptStatus.RELEASED and body["passed"] is True
    assert float(body["score"]) == float(attempt.max_score)
    # the token; the slots with their questions and the locked attempt; the marks in bulk; the result;
    # the savepoint and its release
    assert count == 6, "\n".join(sql)


def test_saves_still_refuse_another_members_attempt_and_unknown_questions(client, county, history):
    paper = paper_of(county, history, 3)
    attempt, _ = services.attempt_start(user=county["member_a"].user, paper=paper)
    other = bearer(county["member_b"].user)
    assert save(client, attempt, 1, 0, other).status_code == 404
    mine = bearer(county["member_a"].user)
    refused = save(client, attempt, 9, 0, mine)
    assert refused.status_code == 400 and refused.json()["reason"] == "no_question"
    refused = save(client, attempt, 1, 7, mine)
    assert refused.status_code == 400 and refused.json()["reason"] == "invalid"
    assert client.post(f"/api/v1/quizzes/attempts/{attempt.pk}/submit", **mine).status_code == 200
    refused = save(client, attempt, 1, 0, mine)
    assert refused.status_code == 409 and refused.json()["reason"] == "submitted"

"""The evaluation API: open evaluations, the form, and answers with errors per question."""

import pytest
from django.utils import timezone

from lms.evaluation import services
from lms.evaluation.models import AnswerTally, Submission
from tests.evaluation.helpers import sheet

pytestmark = pytest.mark.django_db


def url(session):
    return f"/api/v1/sessions/{session.pk}/evaluation"


def test_open_evaluations_list_only_my_attended_sessions(client, recent):
    client.force_login(recent["members"][0].user)
    listed = client.get("/api/v1/me/evaluations").json()
    assert [item["session_id"] for item in listed] == [
        s.pk for s in recent["training_class"].sessions.filter(kind="leader_lecture")
    ]
    assert listed[0]["teacher"] == recent["teacher"].name
    client.force_login(recent["absent"].user)
    assert client.get("/api/v1/me/evaluations").json() == []


def test_form_lists_typed_questions(client, recent):
    client.force_login(recent["members"][0].user)
    response = client.get(url(recent["lecture"]))
    assert response.status_code == 200
    questions = response.json()["questions"]
    assert [q["type"] for q in questions] == ["rating"] * 5 + ["text"]
    assert questions[0]["labels"][4] == "很好" and questions[0]["part"] == "standard"
    assert [q["not_applicable"] for q in questions[:5]] == [False, False, True, False, False]


def test_answering_then_again_then_not_attended(client, recent):
    lecture = recent["lecture"]
    evaluation = services.evaluation_open(session=lecture)
    client.force_login(recent["members"][0].user)
    created = client.post(
        url(lecture), {"answers": sheet(evaluation, comment="联系实际")}, content_type="application/json"
    )
    assert created.status_code == 201
    assert Submission.objects.filter(member=recent["members"][0]).count() == 1
    again = client.post(url(lecture), {"answers": sheet(evaluation)}, content_type="application/json")
    assert again.status_code == 409 and again.json()["reason"] == "answered"
    assert client.get(url(lecture)).status_code == 409
    client.force_login(recent["absent"].user)
    absent = client.post(url(lecture), {"answers": sheet(evaluation)}, content_type="application/json")
    assert absent.status_code == 403 and absent.json()["reason"] == "not_attended"
    assert client.get(url(lecture)).json()["reason"] == "not_attended"
    assert Submission.objects.count() == 1


def test_validation_errors_come_per_question_in_the_users_language(client, recent):
    lecture = recent["lecture"]
    evaluation = services.evaluation_open(session=lecture)
    ids = {q.code: str(q.pk) for q in services.evaluation_questions(evaluation)}
    answers = sheet(evaluation, preparation=9, delivery="好", overall=None)
    client.force_login(recent["members"][0].user)
    response = client.post(url(lecture), {"answers": answers}, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {ids["preparation"], ids["delivery"], ids["overall"]}
    assert errors[ids["overall"]] == ["此题必须作答。"]
    assert not Submission.objects.exists() and not AnswerTally.objects.filter(count__gt=0).exists()


def test_closed_and_unknown(client, recent, settings):
    client.force_login(recent["members"][0].user)
    assert client.get("/api/v1/sessions/999999/evaluation").status_code == 404
    services.evaluation_open(session=recent["lecture"])
    from lms.evaluation.models import SessionEvaluation

    SessionEvaluation.objects.update(closes_at=timezone.now())
    response = client.get(url(recent["lecture"]))
    assert response.status_code == 409 and response.json()["reason"] == "closed"


def test_anonymous_users_get_401(client, recent):
    assert client.get("/api/v1/me/evaluations").status_code == 401
    assert (
        client.post(url(recent["lecture"]), {"answers": {}}, content_type="application/json").status_code
        == 401
    )

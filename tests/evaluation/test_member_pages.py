"""The member's evaluation pages: the home card, the list, the form and its refusals."""

import pytest

from lms.evaluation import services
from lms.evaluation.models import AnswerTally, Submission
from tests.evaluation.helpers import close

pytestmark = pytest.mark.django_db


def form_data(evaluation, **by_code):
    data = {}
    for question in services.evaluation_questions(evaluation):
        if question.code in by_code:
            if by_code[question.code] is not None:
                data[f"q{question.pk}"] = by_code[question.code]
        elif question.code != "comments":
            data[f"q{question.pk}"] = "4"
    return data


def test_home_and_list_show_what_to_evaluate(client, recent):
    client.force_login(recent["members"][0].user)
    home = client.get("/me/").content.decode()
    assert 'data-testid="to-evaluate"' in home and f"/me/evaluations/{recent['lecture'].pk}/" in home
    listed = client.get("/me/evaluations/").content.decode()
    assert f'data-testid="evaluation-{recent["lecture"].pk}"' in listed
    client.force_login(recent["absent"].user)
    assert 'data-testid="to-evaluate"' not in client.get("/me/").content.decode()


def test_form_keeps_answers_and_marks_errors_then_records_once(client, recent):
    lecture = recent["lecture"]
    evaluation = services.evaluation_open(session=lecture)
    client.force_login(recent["members"][0].user)
    page = client.get(f"/me/evaluations/{lecture.pk}/")
    assert page.status_code == 200 and recent["teacher"].name in page.content.decode()

    bad = client.post(f"/me/evaluations/{lecture.pk}/", form_data(evaluation, overall=None, delivery="5"))
    assert bad.status_code == 400
    body = bad.content.decode()
    overall = next(q for q in services.evaluation_questions(evaluation) if q.code == "overall")
    assert f'data-testid="error-{overall.pk}"' in body
    assert 'value="5" checked' in body  # the delivery answer is kept
    assert not Submission.objects.exists()

    done = client.post(
        f"/me/evaluations/{lecture.pk}/", form_data(evaluation, overall="5", comments="很实用")
    )
    assert done.status_code == 302 and done["Location"] == f"/me/evaluations/{lecture.pk}/thanks/"
    close(evaluation)
    assert AnswerTally.objects.get(evaluation=evaluation, question=overall, value=5).count == 1
    again = client.get(f"/me/evaluations/{lecture.pk}/")
    assert again.status_code == 409 and 'data-reason="answered"' in again.content.decode()
    again = client.post(f"/me/evaluations/{lecture.pk}/", form_data(evaluation, overall="5"))
    assert again.status_code == 409
    assert Submission.objects.count() == 1


def test_not_attended_is_refused(client, recent):
    client.force_login(recent["absent"].user)
    response = client.get(f"/me/evaluations/{recent['lecture'].pk}/")
    assert response.status_code == 403 and 'data-reason="not_attended"' in response.content.decode()


def test_multiple_choice_posts_a_list(client, recent):
    from lms.evaluation.models import (
        MultipleChoiceQuestion,
        Questionnaire,
        QuestionnaireKind,
        QuestionnaireStatus,
    )

    school_form = Questionnaire.objects.create(
        kind=QuestionnaireKind.SCHOOL,
        school=recent["town_a"],
        title="本校",
        status=QuestionnaireStatus.ACTIVE,
    )
    question = MultipleChoiceQuestion.objects.create(
        questionnaire=school_form, sort_order=1, text="您希望增加哪些内容", options=["案例", "研讨", "现场"]
    )
    evaluation = services.evaluation_open(session=recent["lecture"])
    assert evaluation.school_form == school_form
    client.force_login(recent["members"][0].user)
    page = client.get(f"/me/evaluations/{recent['lecture'].pk}/").content.decode()
    assert "您希望增加哪些内容" in page and 'type="checkbox"' in page
    data = form_data(evaluation) | {f"q{question.pk}": ["0", "2"]}
    assert client.post(f"/me/evaluations/{recent['lecture'].pk}/", data).status_code == 302
    close(evaluation)
    counts = dict(AnswerTally.objects.filter(question=question).values_list("value", "count"))
    assert counts == {0: 1, 1: 0, 2: 1}

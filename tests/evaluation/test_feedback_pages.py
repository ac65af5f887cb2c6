"""The teacher's own feedback pages (member side): only their own sessions, results only when shown,
a friendly page for those who are not teachers."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tests.evaluation.helpers import answer_all
from tests.evaluation.test_reports import YEAR, past

pytestmark = pytest.mark.django_db

MY_FEEDBACK = reverse("evaluation_feedback:my_feedback")


def session_url(session) -> str:
    return reverse("evaluation_feedback:session", args=[session.pk])


def test_a_teacher_lists_their_own_evaluated_sessions(client, county):
    mine = past(county, 5, overall=[5, 5, 5, 4, 3, 2])
    few = past(county, 6, overall=[5, 5], members=3, teacher=mine["teacher"])
    someone_else = past(county, 7)
    client.force_login(mine["teacher_user"])
    response = client.get(MY_FEEDBACK)
    page = response.content.decode()
    assert response.status_code == 200
    shown = {row["session"].pk: row["is_shown"] for row in response.context["rows"]}
    assert shown == {mine["lecture"].pk: True, few["lecture"].pk: False}
    assert someone_else["lecture"].pk not in shown
    assert session_url(someone_else["lecture"]) not in page
    assert session_url(mine["lecture"]) in page
    assert [item["year"] for item in response.context["years"]] == [YEAR]
    assert reverse("evaluation_feedback:teacher_report", args=[mine["teacher"].pk, YEAR]) in page


def test_a_teacher_sees_their_sessions_result_with_the_shared_partial(client, county):
    mine = past(county, 5, overall=[5, 5, 5, 4, 3, 2], comments=["联系实际", "", "", "", "", ""])
    client.force_login(mine["teacher_user"])
    response = client.get(session_url(mine["lecture"]))
    page = response.content.decode()
    assert response.status_code == 200 and response.context["result"].is_shown
    assert response.context["result"].satisfaction.satisfaction_rate == Decimal("66.7")
    assert 'data-testid="session-result"' in page and "联系实际" in page
    assert 'data-testid="non-respondents"' not in page  # names or counts of members are for staff
    assert all(member.name not in page for member in mine["members"])


def test_a_teacher_may_not_open_another_teachers_session(client, county):
    mine = past(county, 5)
    theirs = past(county, 6)
    client.force_login(mine["teacher_user"])
    assert client.get(session_url(theirs["lecture"])).status_code == 404
    assert client.get(reverse("evaluation_feedback:session", args=[999999])).status_code == 404


def test_below_the_threshold_only_counts_are_shown(client, county, settings):
    settings.EVALUATION_MIN_RESPONSES = 5
    few = past(county, 5, overall=[1, 1, 1, 1], comments=["不好"] * 4)
    client.force_login(few["teacher_user"])
    with translation.override("en"):
        response = client.get(session_url(few["lecture"]))
    page = response.content.decode()
    assert response.status_code == 200 and not response.context["result"].is_shown
    assert 'data-testid="not-shown"' in page and "至少有 5 份答卷才显示结果" in page
    assert "不好" not in page and 'data-testid="question-result"' not in page
    assert 'data-testid="responses">4<' in page


def test_an_open_evaluation_is_not_shown_to_the_teacher(client, taught, frozen_clock):
    frozen_clock.move_to(taught["after"](1))  # an hour after the lecture: its evaluation is open
    answer_all(taught, [5] * 6)
    client.force_login(taught["teacher_user"])
    (row,) = client.get(MY_FEEDBACK).context["rows"]
    assert not row["is_closed"] and not row["is_shown"]
    response = client.get(session_url(taught["lecture"]))
    assert not response.context["result"].is_shown
    assert 'data-testid="question-result"' not in response.content.decode()


@pytest.mark.parametrize("who", ["member", "staff"])
def test_someone_who_is_not_a_teacher_is_told_so(client, county, who):
    a = past(county, 5)
    client.force_login(a["members"][0].user if who == "member" else county["staff_a"])
    for url in (MY_FEEDBACK, session_url(a["lecture"])):
        response = client.get(url)
        assert response.status_code == 200
        assert 'data-testid="not-a-teacher"' in response.content.decode()


def test_the_pages_need_a_login(client, county):
    a = past(county, 5)
    for url in (MY_FEEDBACK, session_url(a["lecture"])):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url


def test_my_feedback_queries_do_not_grow_with_the_sessions(client, county):
    first = past(county, 5)
    client.force_login(first["teacher_user"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(MY_FEEDBACK)
        return len(captured), len(response.context["rows"])

    client.get(MY_FEEDBACK)
    few, rows = queries()
    for day in (6, 7):
        past(county, day, teacher=first["teacher"])
    many, more_rows = queries()
    assert (rows, more_rows) == (1, 3) and many == few

"""The evaluation reports in the admin: session results (scoped, hidden below the threshold), the
teacher ranking (organization department, exports, query count), the yearly assessment inputs and the
printable yearly report of a teacher."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from lms.evaluation import assessment, services
from lms.evaluation.admin import reports_ranking
from lms.evaluation.admin.reports_common import FLAG_LABELS
from lms.evaluation.models import DepartmentScore, ScoringScheme
from lms.evaluation.ranking import RECTIFICATION
from lms.people.models import TeacherCategory
from tests import factories
from tests.attendance.conftest import attend
from tests.evaluation.helpers import answer_all, close, sheet
from tests.exports.helpers import download_export, file_rows

pytestmark = pytest.mark.django_db

YEAR = 2026  # "today" is in late November 2026: October's evaluations have closed
RESULTS = reverse("evaluation_results:index")
RANKING = reverse("evaluation_ranking:index")
ASSESSMENT = reverse("evaluation_assessment:index")


def detail_url(evaluation) -> str:
    return reverse("evaluation_results:detail", args=[evaluation.pk])


def report_url(teacher, year=YEAR) -> str:
    return reverse("evaluation_feedback:teacher_report", args=[teacher.pk, year])


def past(county, day: int, members: int = 6, overall=None, comments=None, teacher=None) -> dict:
    """A township A lecture taught on 2026-10-`day` by `teacher` (default: a new one with a login),
    closed long ago: `members` of branch A attended (recorded by roll call, the class being over) and
    the first len(overall) of them answered, the n-th giving overall[n] to the satisfaction item."""
    teacher = teacher or factories.TeacherFactory(user=factories.UserFactory())
    teacher_user = teacher.user
    training_class = factories.training_class(
        county["town_a"], date(YEAR, 10, day), teacher=teacher, point=county["point_a"], publish=True
    )
    lecture = training_class.sessions.get(kind="leader_lecture")
    people = [factories.MemberFactory(branch=county["branch_a"]) for _ in range(members)]
    for member in people:
        attend(member, lecture)
    taught = {
        **county,
        "teacher": teacher,
        "teacher_user": teacher_user,
        "training_class": training_class,
        "lecture": lecture,
        "members": people,
        "after": lambda hours: lecture.ends_at + timedelta(hours=hours),
    }
    overall = [5] * members if overall is None else overall
    taught["evaluation"] = close(answer_all(taught, overall, comments=comments)) if overall else None
    return taught


def township_b_lecture(county, teacher, day: int, answers: int = 5):
    """A township B lecture taught by `teacher` in October, answered by `answers` members of branch B."""
    training_class = factories.training_class(
        county["town_b"], date(YEAR, 10, day), teacher=teacher, point=county["point_b"], publish=True
    )
    members = [factories.MemberFactory(branch=county["branch_b"]) for _ in range(answers)]
    lecture = training_class.sessions.get(kind="leader_lecture")
    for member in members:
        attend(member, lecture)
    now = lecture.ends_at + timedelta(hours=1)
    evaluation = services.evaluation_open(session=lecture, now=now)
    for member in members:
        services.evaluation_submit(user=member.user, session=lecture, answers=sheet(evaluation), now=now)
    return close(evaluation)


def listed(response) -> set[int]:
    return {row["evaluation"].pk for row in response.context["rows"]}


# --- Session results -----------------------------------------------------------------------------


def test_township_staff_see_only_their_townships_sessions(client, county):
    a = past(county, 5)
    b_evaluation = township_b_lecture(county, a["teacher"], 6)
    client.force_login(county["staff_a"])
    response = client.get(RESULTS, {"year": YEAR})
    assert response.status_code == 200 and listed(response) == {a["evaluation"].pk}
    assert client.get(detail_url(a["evaluation"])).status_code == 200
    assert client.get(detail_url(b_evaluation)).status_code == 404
    client.force_login(county["org"])
    assert listed(client.get(RESULTS, {"year": YEAR})) == {a["evaluation"].pk, b_evaluation.pk}
    assert listed(client.get(RESULTS, {"year": YEAR, "school": county["town_b"].pk})) == {b_evaluation.pk}
    assert listed(client.get(RESULTS, {"year": YEAR - 1})) == set()


def test_list_filters_by_teacher_and_shows_the_satisfaction_rate(client, county):
    a = past(county, 5, overall=[5, 5, 5, 4, 3, 2])  # 4 of 6 satisfied
    other = past(county, 7, members=5)
    client.force_login(county["org"])
    response = client.get(RESULTS, {"year": YEAR, "teacher": a["teacher"].pk})
    (row,) = response.context["rows"]
    assert row["evaluation"].pk == a["evaluation"].pk and row["is_closed"] and row["is_shown"]
    assert row["satisfaction_rate"] == Decimal("66.7") and row["response_rate"] == Decimal("100.0")
    assert "66.7%" in response.content.decode()
    assert other["teacher"] in response.context["teachers"]


def test_results_below_the_threshold_show_only_counts(client, county, settings):
    settings.EVALUATION_MIN_RESPONSES = 5
    few = past(county, 5, overall=[1, 1, 1, 1], comments=["太差了"] * 4)
    client.force_login(county["org"])
    (row,) = client.get(RESULTS, {"year": YEAR}).context["rows"]
    assert row["is_closed"] and not row["is_shown"] and row["satisfaction_rate"] is None
    response = client.get(detail_url(few["evaluation"]))
    page = response.content.decode()
    assert response.status_code == 200 and not response.context["result"].is_shown
    assert 'data-testid="not-shown"' in page and 'data-testid="question-result"' not in page
    assert "太差了" not in page and 'data-testid="responses">4<' in page


def test_an_open_evaluation_is_not_shown_yet(client, taught, frozen_clock):
    frozen_clock.move_to(taught["after"](1))  # an hour after the lecture: its evaluation is open
    answer_all(taught, [5] * 6)
    client.force_login(taught["org"])
    (row,) = client.get(RESULTS, {"year": YEAR}).context["rows"]
    assert not row["is_closed"] and not row["is_shown"]


def test_session_result_shows_means_bars_and_comments_without_names(client, county):
    a = past(county, 5, overall=[5, 5, 4, 3, 2, 5], comments=["讲得透", "", "", "", "", "很实用"])
    client.force_login(county["staff_a"])
    response = client.get(detail_url(a["evaluation"]))
    page = response.content.decode()
    result = response.context["result"]
    assert result.is_shown and result.satisfaction.satisfaction_rate == Decimal("66.7")
    assert page.count('data-testid="question-result"') == len(result.questions)
    assert 'data-testid="mean">4.00<' in page and "讲得透" in page and "很实用" in page
    assert 'style="width: 50.0%"' in page  # three of six chose 5
    assert all(member.name not in page for member in a["members"])  # everyone answered: no names


def test_non_respondents_are_named_only_to_staff_managing_the_class(client, county):
    a = past(county, 5, overall=[5, 5, 5, 5, 5])  # the sixth member did not answer
    silent = a["members"][5]
    client.force_login(county["staff_a"])
    response = client.get(detail_url(a["evaluation"]))
    assert response.context["non_respondent_count"] == 1
    assert [member.pk for member in response.context["non_respondents"]] == [silent.pk]
    assert silent.name in response.content.decode()
    # township B staff who also teaches the lecture sees its result as its teacher, but no names
    factories.staff_scope_grant(user=a["teacher_user"], school=county["town_b"])
    client.force_login(a["teacher_user"])
    response = client.get(detail_url(a["evaluation"]))
    assert response.status_code == 200 and response.context["non_respondent_count"] == 1
    assert response.context["non_respondents"] is None and silent.name not in response.content.decode()


def test_members_and_teachers_do_not_see_the_admin_reports(client, county):
    a = past(county, 5)
    for user in (a["members"][0].user, a["teacher_user"]):
        client.force_login(user)
        for url in (RESULTS, detail_url(a["evaluation"]), RANKING, ASSESSMENT):
            assert client.get(url).status_code in (302, 403)


def test_session_list_queries_do_not_grow_with_the_rows(client, county):
    past(county, 5)
    client.force_login(county["org"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(RESULTS, {"year": YEAR})
        return len(captured), len(response.context["rows"])

    client.get(RESULTS, {"year": YEAR})
    few, rows = queries()
    past(county, 6)
    past(county, 7)
    many, more_rows = queries()
    assert (rows, more_rows) == (1, 3) and many == few


# --- Ranking -------------------------------------------------------------------------------------


def test_only_the_organization_department_sees_the_ranking_and_assessment(client, county):
    past(county, 5)
    for user in (county["staff_a"], county["city_staff"]):
        client.force_login(user)
        assert client.get(RANKING).status_code == 403
        assert client.get(RANKING, {"export": "xlsx"}).status_code == 403
        assert client.get(ASSESSMENT).status_code == 403
        assert client.post(ASSESSMENT, {"form": "weights", "year": YEAR}).status_code == 403
    client.force_login(county["org"])
    assert client.get(RANKING).status_code == 200 and client.get(ASSESSMENT).status_code == 200


def test_menu_shows_each_report_to_those_who_may_see_it(client, county):
    client.force_login(county["staff_a"])
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert RESULTS in page and RANKING not in page and ASSESSMENT not in page
    client.force_login(county["org"])
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert RESULTS in page and RANKING in page and ASSESSMENT in page


def test_ranking_ranks_within_category_with_flags_and_weights(client, county):
    good = past(county, 5, overall=[5, 5, 5, 5, 5, 5])
    poor = past(county, 6, overall=[5, 5, 2, 2, 1, 1])  # 2 of 6 satisfied: rectification
    ScoringScheme.objects.create(
        year=YEAR, satisfaction_weight=50, rating_weight=20, review_weight=20, sessions_weight=10
    )
    DepartmentScore.objects.create(teacher=good["teacher"], year=YEAR, score=Decimal("90"))
    client.force_login(county["org"])
    with translation.override("en"):
        response = client.get(RANKING, {"year": YEAR})
    page = response.content.decode()
    (group,) = response.context["groups"]
    assert [(row.teacher, row.rank) for row in group["rows"]] == [(good["teacher"], 1), (poor["teacher"], 2)]
    assert group["rows"][0].composite is not None and group["rows"][1].composite is None  # no review score
    assert "不具备评优资格" in page and "需整改" in page
    assert 'data-flag="rectification"' in page
    assert page.count('data-testid="ranking-row"') == 2
    assert "50%" in page and "20%" in page  # the weights on the page
    assert response.context["summary"]["satisfaction_rate"] == Decimal("66.7")  # 8 of 12
    assert report_url(good["teacher"]) in page


def export_rows(response, fmt: str) -> list[list]:
    return file_rows(response, fmt)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_ranking_export_holds_the_same_table(client, county, fmt):
    good = past(county, 5, overall=[5, 5, 5, 5, 5, 5])
    poor = past(county, 6, overall=[5, 5, 2, 2, 1, 1])
    idle = factories.TeacherFactory(name="未授课")
    client.force_login(county["org"])
    with translation.override("en"):  # the files are in Chinese whatever the admin's language
        response = download_export(client, RANKING, {"year": YEAR, "export": fmt})
    assert f"teacher-ranking-{YEAR}.{fmt}" in response["Content-Disposition"]
    header, *rows = export_rows(response, fmt)
    with translation.override("zh-hans"):
        assert header == [str(label) for label in reports_ranking.ranking_headings(YEAR)]
    assert len(header) == 9 + 5 + 3
    assert [row[2] for row in rows] == [good["teacher"].name, poor["teacher"].name, idle.name]
    assert [str(row[1]) for row in rows] == ["1", "2", ""]
    assert float(rows[0][7]) == 100.0 and float(rows[1][7]) == pytest.approx(33.3)
    with translation.override("zh-hans"):
        assert rows[0][0] == str(TeacherCategory.EXPERT.label)  # in Chinese, like the headings
        assert str(FLAG_LABELS[RECTIFICATION]) in rows[1][-1] and rows[0][-1] == ""
    assert [int(row[3]) for row in rows] == [2, 2, 0]  # lecture and site visit taught


def test_ranking_queries_do_not_grow_with_teachers_and_answers(client, county):
    for day in (5, 6):
        past(county, day, members=5)
    client.force_login(county["org"])

    def queries(params):
        with CaptureQueriesContext(connection) as captured:
            if params:  # the export's request, its task (run at once in tests) and the download
                b"".join(download_export(client, RANKING, {"year": YEAR, **params}).streaming_content)
            else:
                client.get(RANKING, {"year": YEAR})
        return len(captured)

    client.get(RANKING, {"year": YEAR})
    few = [queries(params) for params in ({}, {"export": "xlsx"}, {"export": "csv"})]
    for day in (7, 8, 9, 12):
        past(county, day, members=7)
    many = [queries(params) for params in ({}, {"export": "xlsx"}, {"export": "csv"})]
    assert many == few


# --- Yearly assessment inputs --------------------------------------------------------------------


def score_post(teachers_scores: dict, **extra) -> dict:
    data = {"form": "scores", "year": YEAR, **extra}
    for teacher, (score, note) in teachers_scores.items():
        data[f"t{teacher.pk}-score"] = score
        data[f"t{teacher.pk}-note"] = note
    return data


def test_org_dept_enters_review_scores_for_the_years_pool(client, county):
    first, second = factories.TeacherFactory(), factories.TeacherFactory()
    retired = factories.TeacherFactory(active_from=2018, active_to=2020)
    client.force_login(county["org"])
    response = client.get(ASSESSMENT, {"year": YEAR})
    assert {row["teacher"] for row in response.context["rows"]} == {first, second}
    assert retired not in {row["teacher"] for row in response.context["rows"]}
    response = client.post(ASSESSMENT, score_post({first: ("88.5", "授课认真"), second: ("", "")}))
    assert response.status_code == 302 and response.url == f"{ASSESSMENT}?year={YEAR}"
    saved = DepartmentScore.objects.get()
    assert (saved.teacher, saved.score, saved.note, saved.entered_by) == (
        first,
        Decimal("88.5"),
        "授课认真",
        county["org"],
    )
    client.post(ASSESSMENT, score_post({first: ("90", "")}))
    assert DepartmentScore.objects.get().score == Decimal("90")


def test_a_score_over_100_is_refused_on_its_row_and_nothing_is_saved(client, county):
    first, second = factories.TeacherFactory(), factories.TeacherFactory()
    client.force_login(county["org"])
    with translation.override("en"):
        response = client.post(ASSESSMENT, score_post({first: ("80", ""), second: ("101", "")}))
    assert response.status_code == 400
    assert not DepartmentScore.objects.exists()
    rows = {row["teacher"]: row for row in response.context["rows"]}
    assert rows[second]["form"].errors and not rows[first]["form"].errors
    page = response.content.decode()
    assert "请输入 0 到 100 之间的分数。" in page and 'value="101"' in page and 'value="80"' in page


def test_weights_not_adding_up_to_100_are_refused(client, county):
    client.force_login(county["org"])
    data = {
        "form": "weights",
        "year": YEAR,
        "satisfaction_weight": 40,
        "rating_weight": 20,
        "review_weight": 30,
        "sessions_weight": 20,
        "sessions_target": 4,
    }
    with translation.override("en"):
        response = client.post(ASSESSMENT, data)
    assert response.status_code == 400 and not ScoringScheme.objects.exists()
    assert "现为 110" in response.content.decode()
    response = client.post(ASSESSMENT, {**data, "sessions_weight": 10, "sessions_target": 6})
    assert response.status_code == 302
    scheme = ScoringScheme.objects.get(year=YEAR)
    assert (scheme.weights["sessions"], scheme.sessions_target, scheme.updated_by) == (10, 6, county["org"])


def test_assessment_services_check_who_and_what(county):
    teacher = factories.TeacherFactory()
    with pytest.raises(PermissionDenied):
        assessment.department_score_set(actor=county["staff_a"], teacher=teacher, year=YEAR, score=80)
    with pytest.raises(ValidationError):
        assessment.department_score_set(actor=county["org"], teacher=teacher, year=YEAR, score=Decimal("101"))
    with pytest.raises(ValidationError):
        assessment.department_score_set(actor=county["org"], teacher=teacher, year=YEAR, score=-1)
    with pytest.raises(ValidationError):
        assessment.department_score_set(actor=county["org"], teacher=teacher, year=2019, score=80)
    weights = {"satisfaction_weight": 40, "rating_weight": 20, "review_weight": 30, "sessions_weight": 9}
    with pytest.raises(ValidationError, match="权重之和须为 100"):
        assessment.scoring_scheme_set(actor=county["org"], year=YEAR, sessions_target=4, **weights)
    with pytest.raises(PermissionDenied):
        assessment.scoring_scheme_set(
            actor=county["staff_a"], year=YEAR, sessions_target=4, **{**weights, "sessions_weight": 10}
        )
    assert not DepartmentScore.objects.exists() and not ScoringScheme.objects.exists()
    score = assessment.department_score_set(actor=county["org"], teacher=teacher, year=YEAR, score="100")
    assert score.score == Decimal("100")


# --- The printable yearly report -----------------------------------------------------------------


def test_yearly_report_for_the_teacher_and_the_organization_department(client, county):
    a = past(county, 5, overall=[5, 5, 5, 4, 3, 2], comments=["很实用", "", "", "", "", ""])
    DepartmentScore.objects.create(teacher=a["teacher"], year=YEAR, score=Decimal("80"))
    other = past(county, 6)
    for user in (a["teacher_user"], county["org"]):
        client.force_login(user)
        response = client.get(report_url(a["teacher"]))
        page = response.content.decode()
        assert response.status_code == 200
        assert response.context["row"].satisfaction_rate == Decimal("66.7")
        assert 'data-testid="counted-session"' in page and "很实用" in page
        assert 'data-flag="not_award_eligible"' in page and "@media print" in page
        assert response.context["row"].composite is not None
        assert [part["name"] for part in response.context["parts"]] == [
            "satisfaction",
            "rating",
            "review",
            "sessions",
        ]
    for user in (other["teacher_user"], county["staff_a"], a["members"][0].user):
        client.force_login(user)
        assert client.get(report_url(a["teacher"])).status_code == 404
    client.logout()
    assert client.get(report_url(a["teacher"])).status_code == 302

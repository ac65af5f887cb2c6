import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from lms.quizzes import importing, services
from lms.quizzes.models import MultipleChoiceQuestion, Paper, PaperPart, PaperStatus, Question
from tests import factories
from tests.quizzes.conftest import fixed_paper

pytestmark = pytest.mark.django_db


def sheet(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_template_imports_and_bad_rows_are_reported(county):
    report = importing.questions_import(user=county["city_staff"], data=importing.template_bytes())
    assert report.created == 5 and report.errors == []
    multiple = MultipleChoiceQuestion.objects.get()
    assert multiple.correct == [0, 1, 3] and multiple.partial_credit and multiple.school is None
    bad = sheet(
        [
            importing.TEMPLATE_COLUMNS,
            ["单选", "专题教育", "党史", "易", "一", "甲", "乙", "", "", "C", "", "", ""],
            ["问答", "专题教育", "党史", "易", "二", "", "", "", "", "", "", "", ""],
            ["判断", "无此模块", "党史", "易", "三", "", "", "", "", "对", "", "", ""],
            ["判断", "通识教育", "党章", "中", "四", "", "", "", "", "对", "", "", ""],
        ]
    )
    report = importing.questions_import(user=county["staff_a"], data=bad, school=county["town_a"])
    assert report.created == 1
    assert [number for number, _message in report.errors] == [2, 3, 4]
    assert Question.objects.get(text="四").school_id == county["town_a"].pk
    with pytest.raises(importing.ImportFileError):
        importing.questions_import(user=county["city_staff"], data=b"not a workbook")


def test_import_page_and_scoping(county, client):
    client.force_login(county["staff_a"])
    upload = io.BytesIO(importing.template_bytes())
    upload.name = "bank.xlsx"
    page = client.post("/admin/quizzes/bank/import/", {"bank": county["town_b"].pk, "file": upload})
    assert page.status_code in (302, 403)  # another township's bank: Wagtail sends them home
    assert not Question.objects.exists()
    upload.seek(0)
    page = client.post("/admin/quizzes/bank/import/", {"bank": county["town_a"].pk, "file": upload})
    assert "5" in page.content.decode() and Question.objects.filter(school=county["town_a"]).count() == 5
    client.force_login(county["member_a"].user)
    assert client.get("/admin/quizzes/").status_code in (302, 403)


def test_staff_build_and_publish_a_paper_and_other_townships_cannot_see_it(county, bank, client):
    client.force_login(county["staff_a"])
    response = client.post(
        "/admin/quizzes/papers/new/",
        {
            "title": "甲镇理论考试",
            "kind": "exam",
            "school": county["town_a"].pk,
            "layout": "one",
            "pass_percent": 60,
            "attempts_allowed": 1,
            "review": "after_submit",
            "time_limit_minutes": 30,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    paper = Paper.objects.get(title="甲镇理论考试")
    client.post(
        f"/admin/quizzes/papers/{paper.pk}/",
        {"action": "part", "category": bank["single"].category_id, "count": 6, "points": 2},
    )
    client.post(f"/admin/quizzes/papers/{paper.pk}/", {"action": "publish"})
    paper.refresh_from_db()
    assert paper.status == PaperStatus.DRAFT  # only five questions in the category
    PaperPart.objects.filter(paper=paper).update(count=5)
    client.post(f"/admin/quizzes/papers/{paper.pk}/", {"action": "publish"})
    paper.refresh_from_db()
    assert paper.status == PaperStatus.PUBLISHED
    client.force_login(county["staff_b"])
    assert client.get(f"/admin/quizzes/papers/{paper.pk}/").status_code == 404
    assert client.get(f"/admin/quizzes/papers/{paper.pk}/statistics/").status_code == 404
    assert "甲镇理论考试" not in client.get("/admin/quizzes/").content.decode()


def take(member, paper, right: bool):
    attempt, _ = services.attempt_start(user=member.user, paper=paper)
    for slot in attempt.slots.select_related("question"):
        question = Question.objects.get(pk=slot.question_id)
        value = slot.option_order.index(question.correct) if right else slot.option_order.index(0)
        services.attempt_save_answer(
            user=member.user, attempt_id=attempt.pk, position=slot.position, value=value
        )
    services.attempt_submit(user=member.user, attempt_id=attempt.pk)


def test_statistics_page_xlsx_and_query_counts_at_two_sizes(county, bank, client):
    from lms.quizzes.models import SingleChoiceQuestion

    questions = [
        SingleChoiceQuestion.objects.create(
            category=bank["single"].category, text=f"题{i}", options=["a", "b"], correct=1
        )
        for i in range(3)
    ]
    paper = fixed_paper(county["city"], questions)
    client.force_login(county["city_staff"])

    def counted():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/admin/quizzes/papers/{paper.pk}/statistics/").status_code == 200
        return len(queries)

    for i in range(2):
        take(factories.MemberFactory(branch=county["branch_a"]), paper, right=i % 2 == 0)
    small = counted()
    for i in range(8):
        take(factories.MemberFactory(branch=county["branch_b"]), paper, right=i % 2 == 0)
    assert counted() <= small
    page = client.get(f"/admin/quizzes/papers/{paper.pk}/statistics/").content.decode()
    assert "甲镇党校" in page and "乙镇党校" in page and "50.0%" in page
    book = load_workbook(
        io.BytesIO(client.get(f"/admin/quizzes/papers/{paper.pk}/statistics/?format=xlsx").content)
    )
    assert book.worksheets[0]["B1"].value == 10

    client.force_login(county["member_a"].user)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/quizzes/mine").status_code == 200
    for _ in range(5):
        fixed_paper(county["city"], questions)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/quizzes/mine").json()) == 6
    assert len(many) <= len(few)
    with CaptureQueriesContext(connection) as page_queries:
        assert client.get("/me/quizzes/").status_code == 200
    assert len(page_queries) <= len(few) + 8

"""Editing a question in the admin (题库 → a question): each type's own fields, in place while nobody
has been asked it, as a new version once frozen; validation in Chinese; scoped as the bank."""

import pytest

from lms.quizzes import services
from lms.quizzes.models import (
    Category,
    FillBlankQuestion,
    Module,
    MultipleChoiceQuestion,
    PaperPart,
    Question,
    SingleChoiceQuestion,
)
from tests.quizzes.conftest import fixed_paper

pytestmark = pytest.mark.django_db


def url(question) -> str:
    return f"/admin/quizzes/bank/{question.pk}/"


def common(question, **fields) -> dict:
    data = {
        "text": question.text,
        "category": question.category_id,
        "difficulty": question.difficulty,
        "explanation": question.explanation,
    }
    data.update(fields)
    return data


@pytest.fixture
def city(client, county):
    client.force_login(county["city_staff"])
    return client


def test_single_choice_in_place(city, bank):
    question = bank["single"]
    page = city.get(url(question)).content.decode()
    assert 'data-testid="in-place-note"' in page and "1919\n1921\n1949" in page
    topic = Category.objects.create(module=Module.GENERAL, name="党章")
    response = city.post(
        url(question),
        common(
            question,
            text="党成立于？",
            options="1919\n1921\n1949\n1978",
            answer="b",
            category=topic.pk,
            difficulty="hard",
            explanation="中共一大",
        ),
    )
    assert response.status_code == 302 and response["Location"] == url(question)
    question.refresh_from_db()
    assert (question.text, question.correct) == ("党成立于？", 1)
    assert question.options == ["1919", "1921", "1949", "1978"]
    assert (question.category, question.difficulty, question.explanation) == (topic, "hard", "中共一大")
    assert question.version == 1 and Question.objects.count() == 5


def test_single_choice_needs_exactly_one_right_option_said_in_chinese(city, bank):
    question = bank["single"]
    page = city.post(url(question), common(question, options="甲\n乙\n丙", answer="AB")).content.decode()
    assert "单选题必须有且只有一个正确选项" in page
    page = city.post(url(question), common(question, options="甲\n乙", answer="D")).content.decode()
    assert "答案须为已给选项的字母" in page
    page = city.post(url(question), common(question, options="甲", answer="A")).content.decode()
    assert "请给出 2 到 10 个选项" in page  # the model's own rule, shown at its field
    question.refresh_from_db()
    assert question.options == ["1919", "1921", "1949"] and question.correct == 1


def test_multiple_choice_answers_and_partial_credit(city, bank):
    question = bank["multiple"]
    page = city.get(url(question)).content.decode()
    assert 'value="ABD"' in page
    city.post(url(question), common(question, options="甲\n乙\n丙\n丁", answer="A C", partial_credit=""))
    question.refresh_from_db()
    assert question.correct == [0, 2] and question.partial_credit is False
    city.post(url(question), common(question, options="甲\n乙\n丙\n丁", answer="ＢＤ", partial_credit="on"))
    question.refresh_from_db()
    assert question.correct == [1, 3] and question.partial_credit is True


def test_true_false_fill_and_essay(city, bank):
    true_false, fill, essay = bank["true_false"], bank["fill"], bank["essay"]
    city.post(url(true_false), common(true_false, statement_true="0"))
    true_false.refresh_from_db()
    assert true_false.correct is False
    city.post(url(fill), common(fill, accepted="人民\n人民群众\n"))
    fill.refresh_from_db()
    assert fill.accepted == ["人民", "人民群众"]
    page = city.post(url(fill), common(fill, accepted=" \n")).content.decode()
    assert 'data-testid="error-accepted"' in page
    city.post(url(essay), common(essay, rubric="观点 6 分；实际 4 分。"))
    essay.refresh_from_db()
    assert essay.rubric == "观点 6 分；实际 4 分。"


def test_a_frozen_question_makes_a_new_version_and_papers_move_to_it(city, county, bank):
    question = bank["single"]
    paper = fixed_paper(county["city"], [question])
    attempt, _ = services.attempt_start(user=county["member_a"].user, paper=paper)
    question.refresh_from_db()
    assert question.frozen
    page = city.get(url(question)).content.decode()
    assert 'data-testid="frozen-note"' in page and "第 2 版" in page
    data = common(question, options="1919\n1921\n1949", answer="B", text="新题干")
    response = city.post(url(question), data)
    new = SingleChoiceQuestion.objects.get(is_current=True, previous=question)
    assert response["Location"] == url(new) and new.version == 2 and new.text == "新题干"
    assert PaperPart.objects.get(paper=paper).question_id == new.pk
    assert attempt.slots.get().question_id == question.pk  # the attempt keeps what it asked
    assert "已另存为第 2 版" in city.get(url(new)).content.decode()
    assert city.get(url(question)).status_code == 404  # an old version is not edited


def test_scoping(client, county, bank):
    township = FillBlankQuestion.objects.create(
        category=bank["fill"].category, text="乙镇的题", accepted=["甲"], school=county["town_b"]
    )
    own = MultipleChoiceQuestion.objects.create(
        category=bank["fill"].category,
        text="甲镇的题",
        options=["一", "二"],
        correct=[0],
        school=county["town_a"],
    )
    client.force_login(county["staff_a"])
    assert client.get(url(own)).status_code == 200
    assert client.get(url(township)).status_code == 404  # another township's bank: not even read
    county_bank = client.get(url(bank["single"]))
    assert county_bank.status_code in (302, 403)  # read, not edited, by township staff
    listing = client.get("/admin/quizzes/bank/").content.decode()
    assert f'href="{url(own)}"' in listing and f'href="{url(bank["single"])}"' not in listing
    refused = client.post(url(bank["single"]), common(bank["single"], options="甲\n乙", answer="A"))
    assert refused.status_code in (302, 403)
    bank["single"].refresh_from_db()
    assert bank["single"].options == ["1919", "1921", "1949"]
    client.force_login(county["org"])
    assert client.get(url(township)).status_code == 200 and client.get(url(bank["essay"])).status_code == 200
    client.force_login(county["member_a"].user)
    assert client.get(url(own)).status_code in (302, 403)

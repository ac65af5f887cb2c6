"""The questionnaire builder in the admin (问卷): the organization department versions the standard
form; township staff keep their school's own questions and cannot touch the standard form or another
township's; an answered version refuses changes; bad input lands on the form's field."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.evaluation import questionnaires as services
from lms.evaluation.models import (
    MultipleChoiceQuestion,
    Question,
    Questionnaire,
    QuestionnaireStatus,
    RatingQuestion,
    SingleChoiceQuestion,
    TextQuestion,
)
from lms.evaluation.selectors import standard_form_in_use
from lms.evaluation.services import evaluation_open, evaluation_submit
from tests import factories

pytestmark = pytest.mark.django_db

LABELS = "差\n较差\n一般\n较好\n好"


def url(name: str, *args) -> str:
    return reverse(f"evaluation_questionnaires:{name}", args=args)


def add_url(questionnaire, model) -> str:
    return url("question_add", questionnaire.pk, model._meta.model_name)


def common(text: str, **fields) -> dict:
    return {"text": text, "help_text": "", "required": "on", "code": "", **fields}


def errors_of(response) -> list[str]:
    return [str(message).strip() for message in get_messages(response.wsgi_request)]


def texts(questionnaire) -> list[str]:
    return list(questionnaire.questions.order_by("sort_order", "id").values_list("text", flat=True))


def test_menu_and_list_are_for_staff_only(client, county):
    own = services.questionnaire_create(actor=county["staff_b"], school=county["town_b"], title="乙镇补充题")
    client.force_login(county["staff_a"])
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert url("index") in home
    page = client.get(url("index"))
    assert page.status_code == 200
    assert standard_form_in_use().title in page.content.decode()
    assert own.title not in page.content.decode()  # another township's set is not listed
    assert url("create") in page.content.decode()

    # The list costs the same however many versions there are.
    with CaptureQueriesContext(connection) as few:
        client.get(url("index"))
    draft = services.questionnaire_new_version(actor=county["org"], questionnaire=standard_form_in_use())
    services.questionnaire_new_version(actor=county["org"], questionnaire=draft)
    with CaptureQueriesContext(connection) as more:
        page = client.get(url("index"))
    assert page.content.decode().count("data-questionnaire=") == 3
    assert len(more.captured_queries) == len(few.captured_queries)

    member = county["member_a"].user
    client.force_login(member)
    assert client.get(url("index")).status_code in (302, 403)


def test_org_dept_builds_and_puts_in_use_a_new_standard_version(
    client, county, django_assert_max_num_queries
):
    client.force_login(county["org"])
    old = standard_form_in_use()
    response = client.post(url("new_version", old.pk))
    draft = Questionnaire.objects.get(previous=old)
    assert response.status_code == 302 and response.url == url("detail", draft.pk)

    # The rating form comes with the default labels and, on the standard form, the satisfaction box.
    form_page = client.get(add_url(draft, RatingQuestion)).content.decode()
    assert "很不满意\n不满意\n一般\n满意\n很满意" in form_page
    assert 'name="counts_for_satisfaction"' in form_page

    posts = [
        (RatingQuestion, common("课堂互动充分", labels=LABELS, allow_not_applicable="on")),
        (SingleChoiceQuestion, common("授课时长是否合适", options="偏短\n合适\n偏长")),
        (MultipleChoiceQuestion, common("主要收获", options="理论\n方法\n\n案例\n", required="")),
        (TextQuestion, common("还想学什么", max_length="200", required="")),
    ]
    for model, data in posts:
        response = client.post(add_url(draft, model), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    added = {type(q): q for q in draft.questions.filter(sort_order__gt=6)}
    assert added[RatingQuestion].labels == LABELS.split("\n") and added[RatingQuestion].allow_not_applicable
    assert added[SingleChoiceQuestion].options == ["偏短", "合适", "偏长"]
    assert added[MultipleChoiceQuestion].options == ["理论", "方法", "案例"]
    assert not added[MultipleChoiceQuestion].required
    assert added[TextQuestion].max_length == 200
    assert texts(draft)[-4:] == ["课堂互动充分", "授课时长是否合适", "主要收获", "还想学什么"]

    # Edit one, then move the last question up to the top of the added ones and the first one down.
    response = client.post(
        url("question_edit", added[TextQuestion].pk), common("还想学习哪些内容", max_length="300")
    )
    assert response.status_code == 302
    client.post(url("question_move", added[TextQuestion].pk), {"direction": "up"})
    client.post(url("question_move", added[RatingQuestion].pk), {"direction": "down"})
    assert texts(draft)[-4:] == ["授课时长是否合适", "课堂互动充分", "还想学习哪些内容", "主要收获"]
    assert list(draft.questions.order_by("sort_order").values_list("sort_order", flat=True)) == list(
        range(1, 11)
    )

    with django_assert_max_num_queries(25):
        page = client.get(url("detail", draft.pk))
    assert "还想学习哪些内容" in page.content.decode() and url("question_add", draft.pk, "textquestion") in (
        page.content.decode()
    )

    response = client.post(url("activate", draft.pk))
    assert response.status_code == 302
    draft.refresh_from_db()
    old.refresh_from_db()
    assert draft.status == QuestionnaireStatus.ACTIVE and old.status == QuestionnaireStatus.RETIRED
    assert standard_form_in_use() == draft


def test_township_staff_keep_their_own_questions_only(client, county):
    standard = standard_form_in_use()
    before = texts(standard)
    client.force_login(county["staff_a"])

    response = client.post(url("create"), {"school": county["town_a"].pk, "title": "甲镇补充题", "intro": ""})
    own = Questionnaire.objects.get(school=county["town_a"])
    assert response.status_code == 302 and response.url == url("detail", own.pk)
    form_page = client.get(add_url(own, RatingQuestion)).content.decode()
    assert 'name="counts_for_satisfaction"' not in form_page  # only the standard form has it
    response = client.post(add_url(own, SingleChoiceQuestion), common("教学点环境", options="好\n一般\n差"))
    assert response.status_code == 302
    assert texts(own) == ["教学点环境"]

    # The page shows the standard questions read-only before the school's own.
    page = client.get(url("detail", own.pk)).content.decode()
    assert 'data-testid="standard-questions"' in page and before[0] in page
    assert url("question_edit", standard.questions.first().pk) not in page
    response = client.post(url("activate", own.pk))
    own.refresh_from_db()
    assert own.status == QuestionnaireStatus.ACTIVE

    # The standard form: visible, not changeable; every POST is refused and nothing changes.
    page = client.get(url("detail", standard.pk)).content.decode()
    assert 'data-testid="frozen-notice"' in page and 'data-testid="add-question"' not in page
    first = standard.questions.order_by("sort_order").first()
    refusals = [
        client.post(add_url(standard, TextQuestion), common("别的问题", max_length="100")),
        client.post(url("question_edit", first.pk), common("改了", labels=LABELS)),
        client.post(url("question_delete", first.pk)),
        client.post(url("question_move", first.pk), {"direction": "down"}),
        client.post(url("new_version", standard.pk)),
        client.post(url("retire", standard.pk)),
        client.post(url("detail", standard.pk), {"title": "改了", "intro": ""}),
    ]
    for response in refusals:
        assert response.status_code == 302, response.request["PATH_INFO"] and response.url == url(
            "detail", standard.pk
        )
        assert "您无权修改此问卷。" in errors_of(response)
    standard.refresh_from_db()
    assert texts(standard) == before and standard.title != "改了"
    assert not Questionnaire.objects.filter(previous=standard).exists()

    # Another township's set is not even there.
    other = services.questionnaire_create(
        actor=county["staff_b"], school=county["town_b"], title="乙镇补充题"
    )
    services.question_add(
        actor=county["staff_b"], questionnaire=other, question=TextQuestion(text="乙镇问题")
    )
    other_question = other.questions.get()
    assert client.get(url("detail", other.pk)).status_code == 404
    assert client.post(add_url(other, TextQuestion), common("闯入")).status_code == 404
    assert client.post(url("question_edit", other_question.pk), common("闯入")).status_code == 404
    assert client.post(url("question_delete", other_question.pk)).status_code == 404
    assert client.post(url("retire", other.pk)).status_code == 404
    assert texts(other) == ["乙镇问题"]


def test_an_answered_version_refuses_changes(client, taught):
    standard = standard_form_in_use()
    lecture, member = taught["lecture"], taught["members"][0]
    evaluation = evaluation_open(session=lecture, now=taught["after"](1))
    ratings = RatingQuestion.objects.filter(questionnaire=standard)
    evaluation_submit(
        user=member.user, session=lecture, answers={q.pk: 5 for q in ratings}, now=taught["after"](2)
    )
    assert evaluation.standard_form == standard and services.is_answered(standard)
    before = texts(standard)
    first = standard.questions.order_by("sort_order").first()

    client.force_login(taught["org"])
    page = client.get(url("detail", standard.pk)).content.decode()
    assert "此版本已有答卷" in page
    assert 'data-testid="add-question"' not in page and url("question_edit", first.pk) not in page
    assert url("new_version", standard.pk) in page  # the way forward
    response = client.get(url("question_edit", first.pk))
    assert response.status_code == 302 and response.url == url("detail", standard.pk)

    answered = "此版本已有答卷，不能修改题目；请创建新版本。"
    for response in [
        client.post(add_url(standard, TextQuestion), common("新问题", max_length="100")),
        client.post(url("question_edit", first.pk), common("改了", labels=LABELS)),
        client.post(url("question_delete", first.pk)),
        client.post(url("question_move", first.pk), {"direction": "down"}),
    ]:
        assert response.status_code == 302 and response.url == url("detail", standard.pk)
        assert answered in errors_of(response)
    assert texts(standard) == before

    # The title may still change: it does not change what the answers mean.
    client.post(url("detail", standard.pk), {"title": "教师授课质量评估表（2027）", "intro": ""})
    standard.refresh_from_db()
    assert standard.title == "教师授课质量评估表（2027）"


def test_bad_labels_and_options_are_shown_on_their_field(client, county):
    client.force_login(county["org"])
    draft = services.questionnaire_new_version(actor=county["org"], questionnaire=standard_form_in_use())
    count = draft.questions.count()

    response = client.post(add_url(draft, RatingQuestion), common("互动", labels="差\n一般\n好\n很好"))
    assert response.status_code == 200
    assert response.context["form"].errors["labels"] == ["请填写正好五个说明，依次对应1至5分。"]

    response = client.post(add_url(draft, SingleChoiceQuestion), common("形式", options="讲授\n讲授"))
    assert response.context["form"].errors["options"] == ["各选项不能重复。"]

    # The service's own check (one satisfaction item per form) lands on its field too.
    response = client.post(
        add_url(draft, RatingQuestion), common("满意度", labels=LABELS, counts_for_satisfaction="on")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["counts_for_satisfaction"] == ["本问卷已有总体满意度题。"]
    assert draft.questions.count() == count
    assert not Question.objects.filter(text__in=["互动", "形式", "满意度"]).exists()


def test_city_staff_choose_among_their_schools(client, county):
    client.force_login(county["city_staff"])
    page = client.get(url("create"))
    choices = {str(pk) for pk, _label in page.context["form"].fields["school"].choices}
    assert {str(county["town_a"].pk), str(county["town_b"].pk), str(county["city"].pk)} <= choices
    outsider_school = factories.township_school(factories.city_school("另一市委党校"), "丙镇党校")
    response = client.post(url("create"), {"school": outsider_school.pk, "title": "丙镇", "intro": ""})
    assert response.status_code == 200 and "school" in response.context["form"].errors
    assert not Questionnaire.objects.filter(school=outsider_school).exists()

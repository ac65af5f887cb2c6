"""Nobody can tell from the stored data which member gave which answer."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection, models

from lms.evaluation import results, services
from lms.evaluation.models import AnswerTally, Ballot, Submission, TextAnswer
from lms.people.models import Member
from tests import factories
from tests.attendance.conftest import attend, enrol_ahead
from tests.evaluation.helpers import answer_all, close, sheet

pytestmark = pytest.mark.django_db

ANSWER_MODELS = (AnswerTally, TextAnswer, Ballot)
TIME_FIELDS = (models.DateTimeField, models.DateField, models.TimeField)


def test_answers_have_no_link_to_people_and_no_time():
    people = {Member, Submission, apps.get_model("auth", "User")}
    for model in ANSWER_MODELS:
        for field in model._meta.concrete_fields:
            assert not isinstance(field, TIME_FIELDS), f"{model.__name__}.{field.name} holds a time"
            if field.is_relation:
                assert field.related_model not in people, f"{model.__name__}.{field.name} points at a person"
    # ...and nothing points at an answer (a per-person row would need to).
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation:
                assert field.related_model not in ANSWER_MODELS, f"{model.__name__}.{field.name}"


def test_who_answered_holds_nothing_but_who_and_which_evaluation():
    names = {field.name for field in Submission._meta.concrete_fields}
    assert names == {"id", "evaluation", "member"}


def test_comments_have_random_keys_and_do_not_keep_the_order_they_came_in(taught):
    comments = [f"第{index}位的意见" for index in range(10)]
    # Ten members, in this order; the fixture has six, so add four.
    extra = [factories.MemberFactory(branch=taught["branch_a"]) for _ in range(4)]
    enrol_ahead(taught["training_class"], extra, taught["org"])
    for member in extra:
        attend(member, taught["lecture"])
    taught["members"].extend(extra)
    evaluation = close(answer_all(taught, [5] * 10, comments=comments))

    assert {str(row.pk)[14] for row in TextAnswer.objects.all()} == {"4"}  # version-4 (random) UUIDs
    by_key = list(TextAnswer.objects.order_by("pk").values_list("text", flat=True))
    table = connection.ops.quote_name(TextAnswer._meta.db_table)
    physical = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT text FROM {table} ORDER BY {physical}")
        stored = [row[0] for row in cursor.fetchall()]
    assert sorted(by_key) == sorted(stored) == sorted(comments)  # nothing lost, nothing added
    # A uniformly random permutation of ten equals the arrival order once in 3.6 million.
    assert stored != comments
    assert by_key != comments
    assert results.session_result(evaluation, now=evaluation.closes_at).questions[-1].comments == by_key


def test_ratings_leave_no_row_per_person(taught):
    evaluation = services.evaluation_open(session=taught["lecture"], now=taught["after"](1))
    rows_before = AnswerTally.objects.filter(evaluation=evaluation).count()
    close(answer_all(taught, [5, 4, 3, 2, 1, 5]))
    assert AnswerTally.objects.filter(evaluation=evaluation).count() == rows_before
    assert not Ballot.objects.exists()  # the sealed sheets are gone once counted
    overall = dict(
        AnswerTally.objects.filter(evaluation=evaluation, question__code="overall").values_list(
            "value", "count"
        )
    )
    assert overall == {1: 1, 2: 1, 3: 1, 4: 1, 5: 2}


def test_results_are_hidden_below_the_threshold_and_until_closed(taught, settings):
    settings.EVALUATION_MIN_RESPONSES = 5
    evaluation = answer_all(taught, [5, 5, 4, 4], comments=["甲", "乙", "丙", "丁"])
    closed = evaluation.closes_at
    hidden = results.session_result(evaluation, now=closed)
    assert hidden.responses == 4 and not hidden.is_shown
    assert all(not q.steps or all(step.count == 0 for step in q.steps) for q in hidden.questions)
    assert all(q.comments == [] for q in hidden.questions)
    year = results.teacher_year_result(taught["teacher"], 2026, now=closed)
    assert year.responses == 0 and not year.is_shown

    services.evaluation_submit(
        user=taught["members"][4].user,
        session=taught["lecture"],
        answers=sheet(evaluation),
        now=taught["after"](2),
    )
    still_open = results.session_result(evaluation, now=closed - timedelta(minutes=1))
    assert still_open.responses == 5 and not still_open.is_shown
    counting = results.session_result(evaluation, now=closed)  # closed, the sweep has not run yet
    assert counting.is_counting and not counting.is_shown
    close(evaluation)
    shown = results.session_result(evaluation, now=closed)
    assert shown.is_shown and shown.satisfaction.answered == 5
    assert results.teacher_year_result(taught["teacher"], 2026, now=closed).responses == 5

"""Every database constraint speaks the user's language when a form or service trips over it."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import BaseConstraint
from django.utils import translation

from lms.scheduling.models import Session

OUR_APPS = {
    "people",
    "scheduling",
    "attendance",
    "evaluation",
    "classroom",
    "courses",
    "accounts",
    "dashboard",
    "exports",
}


def our_constraints():
    for model in apps.get_models():
        if model._meta.app_label in OUR_APPS:
            for constraint in model._meta.constraints:
                yield model, constraint


def test_every_constraint_has_its_own_message_in_chinese():
    checked = 0
    with translation.override("zh-hans"):
        for model, constraint in our_constraints():
            where = f"{model._meta.label}.{constraint.name}"
            message = constraint.violation_error_message
            assert message != BaseConstraint.default_violation_error_message, f"{where} has no message"
            chinese = str(message)
            assert constraint.name not in chinese, where
            assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese), f"{where}: “{chinese}” is not Chinese"
            checked += 1
    assert checked > 40


@pytest.mark.django_db
def test_a_session_ending_before_it_starts_says_so_in_words(county):
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from tests import factories

    tz = ZoneInfo("Asia/Shanghai")
    training_class = factories.training_class(
        county["town_a"], date(2027, 3, 1), teacher=factories.TeacherFactory(), point=county["point_a"]
    )
    session = Session(
        training_class=training_class,
        kind="elective",
        title="专题课",
        starts_at=datetime(2027, 3, 1, 10, 0, tzinfo=tz),
        ends_at=datetime(2027, 3, 1, 9, 0, tzinfo=tz),
    )
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        session.validate_constraints()
    text = " ".join(refused.value.messages)
    assert "课程的结束时间须晚于开始时间" in text
    assert "session_ends_after_start" not in text
    assert "约束" not in text


@pytest.mark.django_db
def test_the_timetable_editor_shows_words_not_a_constraint_name(client, county):
    """Staff typing an end before the start see what is wrong, in Chinese, and nothing is saved."""
    from django.urls import reverse

    from lms.scheduling.models import SessionKind, TrainingClass
    from tests import factories
    from tests.scheduling.test_admin import at, class_post, session_row

    teacher = factories.TeacherFactory(name="王老师")
    rows = [
        session_row(SessionKind.SIGN_IN, at(8, 30), at(8, 45)),
        session_row(SessionKind.LEADER_LECTURE, at(11, 40), at(10, 10), teacher=teacher),  # ends first
    ]
    client.force_login(county["staff_a"])
    response = client.post(reverse("scheduling_classes:add"), class_post(county, teacher, rows=rows))
    page = response.content.decode()
    assert response.status_code == 200
    assert "须晚于开始时间" in page
    names = [constraint.name for _model, constraint in our_constraints()]
    assert not [name for name in names if name in page]
    assert "约束" not in page
    assert not TrainingClass.objects.exists()

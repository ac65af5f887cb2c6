"""Statuses over time: published classes are in progress on their days and finished after; drafts and
cancelled classes stay as they are. The service, the daily task and the cron command."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from lms.scheduling import services, tasks
from lms.scheduling.models import ClassStatus
from tests import factories
from tests.attendance.conftest import ahead

DAY = date(2026, 12, 7)


@pytest.fixture
def classes(county):
    """A published two-day class from DAY, a draft and a cancelled class on the same days."""
    teachers = factories.TeacherFactory.create_batch(3)

    def make(teacher, hour, **fields):
        return factories.training_class(
            county["town_a"], DAY, teacher=teacher, point=county["point_a"], hour=hour, **fields
        )

    with ahead(DAY):  # planned a week before, whenever the test runs
        published = make(teachers[0], 8, end_date=DAY + timedelta(days=1), publish=True, venue="报告厅")
        cancelled = make(teachers[2], 14, venue="党员活动室", publish=True)
        services.training_class_cancel(actor=None, training_class=cancelled, reason="授课教师临时有事")
        draft = make(teachers[1], 14, venue="多功能教室")  # takes the cancelled class's afternoon
    return {"published": published, "draft": draft, "cancelled": cancelled}


def statuses(classes) -> dict[str, str]:
    for training_class in classes.values():
        training_class.refresh_from_db()
    return {name: training_class.status for name, training_class in classes.items()}


def advance(today: date) -> str:
    out = io.StringIO()
    call_command("advance_classes", "--date", today.isoformat(), stdout=out)
    return out.getvalue().strip()


pytestmark = pytest.mark.django_db


def test_published_class_moves_with_the_calendar(classes):
    assert services.class_statuses_advance(today=DAY - timedelta(days=1)) == 0
    assert statuses(classes)["published"] == ClassStatus.PUBLISHED

    assert services.class_statuses_advance(today=DAY) == 1
    assert statuses(classes)["published"] == ClassStatus.IN_PROGRESS
    assert services.class_statuses_advance(today=DAY + timedelta(days=1)) == 0  # its second day
    assert statuses(classes)["published"] == ClassStatus.IN_PROGRESS

    assert services.class_statuses_advance(today=DAY + timedelta(days=2)) == 1
    assert statuses(classes)["published"] == ClassStatus.FINISHED
    assert services.class_statuses_advance(today=DAY + timedelta(days=30)) == 0


def test_a_class_missed_while_running_goes_straight_to_finished(classes):
    assert services.class_statuses_advance(today=DAY + timedelta(days=5)) == 1
    assert statuses(classes)["published"] == ClassStatus.FINISHED


def test_drafts_and_cancelled_classes_are_left_alone(classes):
    for today in (DAY, DAY + timedelta(days=1), DAY + timedelta(days=10)):
        services.class_statuses_advance(today=today)
        found = statuses(classes)
        assert found["draft"] == ClassStatus.DRAFT
        assert found["cancelled"] == ClassStatus.CANCELLED


def test_stored_status_agrees_with_current_status(classes):
    for today in (DAY - timedelta(days=1), DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)):
        services.class_statuses_advance(today=today)
        for training_class in classes.values():
            training_class.refresh_from_db()
            assert training_class.status == training_class.current_status(today)


def test_command_prints_how_many_changed(classes):
    assert advance(DAY - timedelta(days=1)) == "0 training classes changed status as of 2026-12-06."
    assert advance(DAY) == "1 training class changed status as of 2026-12-07."
    assert advance(DAY + timedelta(days=3)) == "1 training class changed status as of 2026-12-10."
    assert statuses(classes)["published"] == ClassStatus.FINISHED


def test_command_defaults_to_today(county, moment):
    today = timezone.localdate()
    factories.training_class(
        county["town_a"], today, teacher=factories.TeacherFactory(), point=county["point_a"], publish=True
    )
    out = io.StringIO()
    call_command("advance_classes", stdout=out)
    assert out.getvalue().strip() == f"1 training class changed status as of {today.isoformat()}."


def test_command_refuses_a_bad_date(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("advance_classes", "--date", "7.12.2026")


def test_daily_task_advances_as_of_today(county, moment):
    today = timezone.localdate()
    running = factories.training_class(
        county["town_a"], today, teacher=factories.TeacherFactory(), point=county["point_a"], publish=True
    )
    result = tasks.class_statuses_advance.enqueue()
    assert result.return_value == 1
    running.refresh_from_db()
    assert running.status == ClassStatus.IN_PROGRESS

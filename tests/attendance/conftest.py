from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from lms.scheduling import services as scheduling
from tests import factories


def ahead(day):
    """The clock a week before `day` at 9:00, standing still: when staff published the class and
    enrolled its members, whenever the test runs (a finished class takes no enrolments)."""
    at = datetime.combine(day - timedelta(days=7), datetime.min.time().replace(hour=9))
    return time_machine.travel(at.replace(tzinfo=timezone.get_current_timezone()), tick=False)


@pytest.fixture
def held(county):
    """A published one-day class of township A with member_a enrolled; `lecture` is its 12:00–13:00
    leader lecture on 2026-12-07. Published and enrolled a week ahead, whenever the test runs;
    `enrol(members)` enrols more as of then."""
    day = datetime(2026, 12, 7, tzinfo=timezone.get_current_timezone()).date()
    with ahead(day):
        training_class = factories.training_class(
            county["town_a"], day, teacher=factories.TeacherFactory(), point=county["point_a"], publish=True
        )
        scheduling.enrolment_add(
            actor=county["org"], training_class=training_class, members=[county["member_a"]]
        )
    lecture = training_class.sessions.get(kind="leader_lecture")
    return {
        **county,
        "training_class": training_class,
        "lecture": lecture,
        "at": lambda minutes: lecture.starts_at + timedelta(minutes=minutes),
        "enrol": lambda members: enrol_ahead(training_class, members, county["org"]),
    }


def enrol_ahead(training_class, members, actor):
    with ahead(training_class.start_date):
        return scheduling.enrolment_add(actor=actor, training_class=training_class, members=members)


def on(year: int, month: int, day: int):
    return datetime(year, month, day, tzinfo=timezone.get_current_timezone()).date()


@pytest.fixture
def classes(county):
    """Make a published one-day class (six one-hour sessions from 8:00) at a school on a day."""
    teacher = factories.TeacherFactory()

    def make(school, day, point=None):
        return factories.training_class(
            school, day, teacher=teacher, point=point or county["point_a"], publish=True
        )

    return make


def attend(member, session, status="present", *, source="qr", minutes=None):
    """A record as the services write it (minutes from `credit`), without going through a sign-in."""
    from lms.attendance import credit
    from lms.attendance.models import AttendanceRecord

    return AttendanceRecord.objects.create(
        session=session,
        member=member,
        status=status,
        source=source,
        minutes=credit.minutes_for(session, status, minutes=minutes),
        marked_at=session.ends_at,
    )

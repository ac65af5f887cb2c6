from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from lms.scheduling import services as scheduling
from tests import factories
from tests.attendance.conftest import attend


@pytest.fixture
def taught(county):
    """A published one-day class of township A on 2026-12-07 whose 12:00–13:00 leader lecture was
    taught by `teacher` (with a login) and attended by `members` (six of branch A, all present) and
    `absent` (enrolled, absent). `after(hours)` is a time that long after the lecture ended."""
    teacher_user = factories.UserFactory(username="lecturer")
    teacher = factories.TeacherFactory(user=teacher_user)
    day = datetime(2026, 12, 7, tzinfo=timezone.get_current_timezone()).date()
    training_class = factories.training_class(
        county["town_a"], day, teacher=teacher, point=county["point_a"], publish=True
    )
    members = [county["member_a"]] + [factories.MemberFactory(branch=county["branch_a"]) for _ in range(5)]
    absent = factories.MemberFactory(branch=county["branch_a"])
    scheduling.enrolment_add(actor=county["org"], training_class=training_class, members=[*members, absent])
    lecture = training_class.sessions.get(kind="leader_lecture")
    for member in members:
        attend(member, lecture)
    attend(absent, lecture, "absent")
    return {
        **county,
        "teacher": teacher,
        "teacher_user": teacher_user,
        "training_class": training_class,
        "lecture": lecture,
        "members": members,
        "absent": absent,
        "after": lambda hours: lecture.ends_at + timedelta(hours=hours),
    }

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from lms.scheduling.models import Enrollment
from tests import factories
from tests.attendance.conftest import attend


@pytest.fixture
def taught(county):
    return make_taught(county)


def make_taught(county, members: int = 6, day=None):
    """A published one-day class of township A on 2026-12-07 whose 12:00–13:00 leader lecture was
    taught by `teacher` (with a login) and attended by `members` (six of branch A, all present) and
    `absent` (enrolled, absent). `after(hours)` is a time that long after the lecture ended."""
    teacher_user = factories.UserFactory()
    teacher = factories.TeacherFactory(user=teacher_user)
    day = day or datetime(2026, 12, 7, tzinfo=timezone.get_current_timezone()).date()
    training_class = factories.training_class(
        county["town_a"], day, teacher=teacher, point=county["point_a"], publish=True
    )
    # member_a takes part in the first class made (others are made with new members only).
    first = [] if county["member_a"].attendance.exists() else [county["member_a"]]
    members = first + [
        factories.MemberFactory(branch=county["branch_a"]) for _ in range(members - len(first))
    ]
    absent = factories.MemberFactory(branch=county["branch_a"])
    # Enrolled directly: the service refuses finished classes, and `recent` makes one that has finished.
    Enrollment.objects.bulk_create(
        Enrollment(training_class=training_class, member=m) for m in [*members, absent]
    )
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


@pytest.fixture
def recent(county):
    """Like `taught`, but the lecture was the day before yesterday, so pages (which use the real
    clock) find its evaluation open."""
    return make_taught(county, day=timezone.localdate() - timedelta(days=2))


@pytest.fixture
def english():
    """Validation tests read the messages' msgids (pages are tested in Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from lms.scheduling import services as scheduling
from tests import factories


@pytest.fixture
def held(county):
    """A published one-day class of township A with member_a enrolled; `lecture` is its 12:00–13:00
    leader lecture on 2026-12-07."""
    day = datetime(2026, 12, 7, tzinfo=timezone.get_current_timezone()).date()
    training_class = factories.training_class(
        county["town_a"], day, teacher=factories.TeacherFactory(), point=county["point_a"], publish=True
    )
    scheduling.enrolment_add(actor=county["org"], training_class=training_class, members=[county["member_a"]])
    lecture = training_class.sessions.get(kind="leader_lecture")
    return {
        **county,
        "training_class": training_class,
        "lecture": lecture,
        "at": lambda minutes: lecture.starts_at + timedelta(minutes=minutes),
    }

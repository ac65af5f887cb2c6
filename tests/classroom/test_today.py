"""The home page's "live now" card at any hour: today's live sessions that have not ended, never
yesterday's or tomorrow's, whether it is just after midnight or five minutes before it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lms.classroom.selectors import live_sessions_today
from lms.scheduling.models import Delivery
from tests import factories
from tests.attendance.conftest import ahead, enrol_ahead

pytestmark = pytest.mark.django_db


def live_class(county, day):
    """A class of township A on `day` (sessions hourly from 8:00) with member_a enrolled; its first and
    last sessions are taught live."""
    with ahead(day):
        training_class = factories.training_class(
            county["town_a"], day, teacher=factories.TeacherFactory(), point=county["point_a"], publish=True
        )
    enrol_ahead(training_class, [county["member_a"]], county["org"])
    sessions = list(training_class.sessions.order_by("starts_at"))
    live = [sessions[0], sessions[-1]]
    type(sessions[0]).objects.filter(pk__in=[s.pk for s in live]).update(delivery=Delivery.LIVE)
    return live


def test_todays_live_sessions_at_any_hour(county, moment):
    today = timezone.localdate()
    live_today = live_class(county, today)
    live_class(county, today - timedelta(days=1))
    live_class(county, today + timedelta(days=1))
    now = timezone.now()
    listed = [row["session"].pk for row in live_sessions_today(county["member_a"].user)]
    assert listed == [s.pk for s in live_today if s.ends_at > now]
    # Just after midnight both are still to come; five minutes before it, both are over.
    if timezone.localtime(now).hour == 0:
        assert len(listed) == 2
    if timezone.localtime(now).hour == 23:
        assert listed == []

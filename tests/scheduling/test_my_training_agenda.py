"""我的培训 on a phone: my classes first, then the sessions grouped by class and by day, days before
today collapsed (one line each), today marked. The clock is frozen around midnight in Beijing:
a two-day class on Monday 7 and Tuesday 8 December 2026 and a one-day class on Thursday the 10th."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from lms.scheduling import services
from lms.scheduling.models import SessionKind
from tests import factories

TZ = ZoneInfo("Asia/Shanghai")
MY_CLASSES = "/me/classes/"
MONDAY, TUESDAY, THURSDAY = date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 10)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@pytest.fixture
def timetable(county):
    """Published and enrolled the week before, on a frozen clock."""
    teacher = factories.TeacherFactory()
    member = county["member_a"]
    with time_machine.travel(at(date(2026, 11, 30), 9), tick=False):
        sessions = factories.class_sessions(MONDAY, teacher=teacher, point=county["point_a"])
        tuesday = factories.class_sessions(
            TUESDAY, teacher=teacher, point=county["point_a"], kinds=[SessionKind.ELECTIVE] * 3
        )
        for position, session in enumerate(tuesday):
            session.title = f"选学专题{position + 1}"
        two_days = services.training_class_create(
            actor=None,
            school=county["town_a"],
            title="两天的冬训班",
            start_date=MONDAY,
            end_date=TUESDAY,
            sessions=sessions + tuesday,
            venue="甲镇党校教室",
        )
        two_days = services.training_class_publish(actor=None, training_class=two_days)
        one_day = factories.training_class(
            county["town_a"],
            THURSDAY,
            teacher=teacher,
            point=county["point_a"],
            publish=True,
            title="周四的班",
        )
        services.enrolment_add(actor=county["org"], training_class=two_days, members=[member])
        services.enrolment_add(actor=county["org"], training_class=one_day, members=[member])
    return {"member": member, "two_days": two_days, "one_day": one_day}


def page(client, timetable, now: datetime) -> str:
    client.force_login(timetable["member"].user)
    with time_machine.travel(now, tick=False):
        response = client.get(MY_CLASSES)
    assert response.status_code == 200
    return response.content.decode()


def blocks(body: str, testid: str) -> dict[str, str]:
    """Each day block (`day` open, `past` collapsed) by its date, with its HTML."""
    found = {}
    for match in re.finditer(
        rf'<(section|details) class="[^"]*" data-testid="{testid}" data-day="([\d-]+)"', body
    ):
        tag, day = match.groups()
        found[day] = body[match.start() : body.index(f"</{tag}>", match.start())]
    return found


def session_ids(html: str) -> set[int]:
    return {int(found) for found in re.findall(r'data-session="(\d+)"', html)}


def ids_on(training_class, day: date) -> set[int]:
    return {s.pk for s in training_class.sessions.all() if s.starts_at.astimezone(TZ).date() == day}


def test_my_classes_come_first_then_sessions_grouped_by_class_and_day(client, timetable):
    body = page(client, timetable, at(date(2026, 12, 6), 20))
    assert body.index('data-testid="my-classes"') < body.index('data-testid="upcoming"')
    order = re.findall(r'data-testid="agenda-class" data-class="(\d+)"', body)
    assert order == [str(timetable["two_days"].pk), str(timetable["one_day"].pk)]
    days = blocks(body, "day")
    assert list(days) == ["2026-12-07", "2026-12-08", "2026-12-10"]
    assert session_ids(days["2026-12-07"]) == ids_on(timetable["two_days"], MONDAY)
    assert session_ids(days["2026-12-08"]) == ids_on(timetable["two_days"], TUESDAY)
    assert session_ids(days["2026-12-10"]) == ids_on(timetable["one_day"], THURSDAY)
    assert 'data-testid="past"' not in body and 'data-testid="today"' not in body
    # Where most sessions of a day are is said once, under the day.
    assert days["2026-12-07"].count("甲镇党校教室") == 1


def test_at_five_to_midnight_the_day_is_still_today_and_open(client, timetable):
    body = page(client, timetable, at(MONDAY, 23, 55))
    days = blocks(body, "day")
    assert "2026-12-07" in days and 'data-testid="today"' in days["2026-12-07"]
    assert 'aria-current="date"' in days["2026-12-07"]
    assert 'data-testid="today"' not in days["2026-12-08"]
    assert blocks(body, "past") == {}
    # Every session of Monday has ended: no leave offered for it, but Tuesday's still are.
    assert "ask-leave" not in days["2026-12-07"]
    assert 'data-testid="ask-leave-day"' in days["2026-12-08"]


def test_five_past_midnight_yesterday_is_collapsed_and_tuesday_is_today(client, timetable):
    body = page(client, timetable, at(TUESDAY, 0, 5))
    past = blocks(body, "past")
    assert list(past) == ["2026-12-07"] and past["2026-12-07"].startswith("<details")
    assert " open" not in past["2026-12-07"].split(">")[0]
    assert session_ids(past["2026-12-07"]) == ids_on(timetable["two_days"], MONDAY)
    assert "6节，已结束" in past["2026-12-07"]
    days = blocks(body, "day")
    assert list(days) == ["2026-12-08", "2026-12-10"]
    assert 'data-testid="today"' in days["2026-12-08"]
    # The two-day class still comes first: its next day is before Thursday's class.
    order = re.findall(r'data-testid="agenda-class" data-class="(\d+)"', body)
    assert order == [str(timetable["two_days"].pk), str(timetable["one_day"].pk)]


def test_a_class_whose_days_are_all_past_comes_after_those_to_come(client, timetable):
    body = page(client, timetable, at(date(2026, 12, 9), 9))
    order = re.findall(r'data-testid="agenda-class" data-class="(\d+)"', body)
    assert order == [str(timetable["one_day"].pk), str(timetable["two_days"].pk)]
    assert list(blocks(body, "past")) == ["2026-12-07", "2026-12-08"]
    assert list(blocks(body, "day")) == ["2026-12-10"]

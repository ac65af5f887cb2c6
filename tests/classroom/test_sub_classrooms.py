"""Sub-classrooms following the city's big classroom, terminal logins, the end-of-session sweep, and
presence that a crashed server never closed."""

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from lms.attendance.models import AttendanceRecord
from lms.classroom import services
from lms.classroom.models import LiveRoom, PresenceInterval, Terminal
from tests.classroom.conftest import live

pytestmark = pytest.mark.django_db


def test_township_staff_link_their_session_to_the_big_classroom(big):
    room = services.sub_classroom_link(actor=big["staff_a"], big_session=big["big"], session=big["sub"])
    assert room.parent.session == big["big"] and room.stage == room.parent
    services.sub_classroom_unlink(actor=big["staff_a"], session=big["sub"])
    assert LiveRoom.objects.get(session=big["sub"]).parent is None


def test_links_that_make_no_sense_are_refused(big):
    with pytest.raises(PermissionDenied):  # township B's staff, township A's session
        services.sub_classroom_link(actor=big["staff_b"], big_session=big["big"], session=big["sub"])
    with pytest.raises(ValidationError, match="市委党校"):  # a township session is no big classroom
        services.sub_classroom_link(actor=big["org"], big_session=big["sub"], session=big["sub"])
    city_session = live(big["big"].training_class.sessions.get(kind="constitution"))
    with pytest.raises(ValidationError, match="镇街"):  # the city's own session is no sub-classroom
        services.sub_classroom_link(actor=big["org"], big_session=big["big"], session=city_session)
    later = big["big"].ends_at + timedelta(hours=2)
    live(big["big"], starts_at=later, ends_at=later + timedelta(hours=1))
    with pytest.raises(ValidationError, match="时间"):
        services.sub_classroom_link(actor=big["staff_a"], big_session=big["big"], session=big["sub"])
    in_person = big["training_class"].sessions.get(kind="constitution")
    with pytest.raises(ValidationError):
        services.sub_classroom_link(actor=big["staff_a"], big_session=big["big"], session=in_person)
    assert not LiveRoom.objects.filter(parent__isnull=False).exists()


def test_terminals_enter_their_townships_rooms_only(big):
    terminal = services.terminal_create(
        actor=big["staff_a"],
        name="甲村大屏",
        township=big["town_a"],
        point=big["point_a"],
        username="jia-screen",
        password="screen-pass-2026",
    )
    _room, role = services.room_enter(user=terminal.user, session=big["sub"], now=big["sub"].starts_at)
    assert role == "terminal"
    for session in (big["big"],):  # the big room itself is entered through the sub-classroom
        with pytest.raises(PermissionDenied):
            services.room_enter(user=terminal.user, session=session, now=big["sub"].starts_at)
    assert terminal.user.check_password("screen-pass-2026")
    assert list(services.terminals_for_user(big["staff_a"])) == [terminal]
    assert list(services.terminals_for_user(big["staff_b"])) == []


def test_terminal_logins_are_checked(big):
    with pytest.raises(PermissionDenied):
        services.terminal_create(
            actor=big["staff_b"],
            name="屏",
            township=big["town_a"],
            username="x1",
            password="screen-pass-2026",
        )
    with pytest.raises(ValidationError):  # another township's teaching point
        services.terminal_create(
            actor=big["staff_a"],
            name="屏",
            township=big["town_a"],
            point=big["point_b"],
            username="x2",
            password="screen-pass-2026",
        )
    with pytest.raises(ValidationError):  # a weak password
        services.terminal_create(
            actor=big["staff_a"], name="屏", township=big["town_a"], username="x3", password="123"
        )
    services.terminal_create(
        actor=big["staff_a"], name="屏", township=big["town_a"], username="x4", password="screen-pass-2026"
    )
    with pytest.raises(ValidationError):  # the login name is taken
        services.terminal_create(
            actor=big["staff_a"],
            name="屏二",
            township=big["town_a"],
            username="X4",
            password="screen-pass-2026",
        )
    assert Terminal.objects.count() == 1


def test_ending_the_big_classroom_credits_each_sub_classroom(big):
    sub_room = services.sub_classroom_link(actor=big["staff_a"], big_session=big["big"], session=big["sub"])
    big_room = sub_room.parent
    member = big["member_a"].user
    start = big["sub"].starts_at
    services.presence_set(room=sub_room, user=member, state="present", now=start, role="member")
    with pytest.raises(PermissionDenied):  # a sub-classroom's staff do not end the big classroom
        services.room_end(actor=big["staff_a"], room=sub_room, now=start + timedelta(minutes=30))
    services.room_end(actor=big["org"], room=big_room, now=start + timedelta(minutes=30))
    record = AttendanceRecord.objects.get(member=big["member_a"])
    assert (record.session, record.minutes, record.status) == (big["sub"], 30, "left_early")
    assert LiveRoom.objects.get(pk=sub_room.pk).ended_at is not None
    with pytest.raises(PermissionDenied):
        services.room_enter(user=member, session=big["sub"], now=start + timedelta(minutes=31))


def test_the_sweep_ends_rooms_nobody_ended(big, settings):
    settings.CLASSROOM_SWEEP_GRACE_MINUTES = 60
    room, _role = services.room_enter(user=big["member_a"].user, session=big["sub"], now=big["sub"].starts_at)
    services.presence_set(room=room, user=big["member_a"].user, state="present", now=big["sub"].starts_at)
    assert services.rooms_sweep(now=big["sub"].ends_at + timedelta(minutes=59)) == []
    with mock.patch("django.utils.timezone.now", return_value=big["sub"].ends_at + timedelta(minutes=61)):
        call_command("classroom_sweep", stdout=StringIO())
    room.refresh_from_db()
    assert room.ended_at is not None
    assert AttendanceRecord.objects.get(member=big["member_a"]).status == "present"
    assert not PresenceInterval.objects.filter(ended_at__isnull=True).exists()


def test_an_interval_a_crashed_server_never_closed_stops_counting(big):
    room, _role = services.room_enter(user=big["member_a"].user, session=big["sub"], now=big["sub"].starts_at)
    start = big["sub"].starts_at
    services.presence_set(room=room, user=big["member_a"].user, state="present", now=start, connection="c1")
    services.presence_seen(connection="c1", now=start + timedelta(minutes=10))  # last ping, then silence
    minutes = services.member_minutes(room, big["member_a"].user_id, start + timedelta(minutes=60))
    assert minutes == 11  # 10 minutes, plus the 90 s a silent connection is given


def test_the_home_page_leads_members_and_terminals_into_todays_live_class(client, big):
    terminal = services.terminal_create(
        actor=big["staff_a"],
        name="甲村大屏",
        township=big["town_a"],
        username="jia",
        password="screen-pass-2026",
    )
    room_url = f"/classroom/{big['sub'].pk}/"
    with mock.patch("django.utils.timezone.now", return_value=big["sub"].starts_at - timedelta(hours=2)):
        client.force_login(big["member_a"].user)
        early = client.get("/me/").content.decode()
        assert 'data-testid="live-now"' in early and room_url not in early  # not open yet
    with mock.patch("django.utils.timezone.now", return_value=big["sub"].starts_at + timedelta(minutes=5)):
        for user in (big["member_a"].user, terminal.user):
            client.force_login(user)
            page = client.get("/me/").content.decode()
            assert "今日直播课" in page and room_url in page
        client.force_login(big["member_b"].user)
        assert room_url not in client.get("/me/").content.decode()

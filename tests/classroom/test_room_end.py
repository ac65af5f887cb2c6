"""Ending a class never fails for everyone because of one participant's odd presence record: an
interval that starts after the end, one left open by a crashed server, a member whose credit fails;
and the sweep ends every room it can, at any hour."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from lms.attendance.models import AttendanceRecord
from lms.classroom import services
from lms.classroom.models import LiveRoom, PresenceInterval
from lms.scheduling import services as scheduling
from lms.scheduling.models import Delivery
from tests import clock, factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(held):
    """`held`'s 12:00–13:00 leader lecture taught live, its room, a teacher with a login and a second
    enrolled member."""
    lecture = held["lecture"]
    lecture.teacher.user = factories.UserFactory()
    lecture.teacher.save()
    type(lecture).objects.filter(pk=lecture.pk).update(delivery=Delivery.LIVE)
    lecture.refresh_from_db()
    second = factories.MemberFactory(branch=held["branch_a"])
    held["enrol"]([second])
    room, _role = services.room_enter(user=held["member_a"].user, session=lecture, now=held["at"](0))
    return {**held, "lecture": lecture, "room": room, "teacher_user": lecture.teacher.user, "second": second}


def records(live) -> dict:
    found = AttendanceRecord.objects.filter(session=live["lecture"]).select_related("member")
    return {record.member.pk: (record.status, record.minutes) for record in found}


def test_an_interval_starting_after_the_end_is_clamped_and_the_others_are_credited(live):
    at, room = live["at"], live["room"]
    services.presence_set(room=room, user=live["member_a"].user, state="present", now=at(0), connection="a")
    # The second member's record claims a start after the teacher ends the class (another server's
    # clock ahead, a record moved by hand): closing it at the end would make it end before it starts.
    services.presence_set(room=room, user=live["second"].user, state="present", now=at(50), connection="b")

    assert services.room_end(actor=live["teacher_user"], room=room, now=at(30)) == 1

    room.refresh_from_db()
    assert room.ended_at == at(30)
    assert not PresenceInterval.objects.filter(ended_at__isnull=True).exists()
    odd = PresenceInterval.objects.get(connection="b")
    assert odd.ended_at == odd.started_at == at(50)  # closed where it starts: it counts nothing
    assert records(live) == {live["member_a"].pk: ("left_early", 30)}


def test_open_intervals_close_at_the_end(live):
    at, room = live["at"], live["room"]
    services.presence_set(room=room, user=live["member_a"].user, state="present", now=at(0), connection="a")
    services.presence_set(room=room, user=live["second"].user, state="away", now=at(-5), connection="b")
    services.room_end(actor=live["teacher_user"], room=room, now=at(60))
    assert set(PresenceInterval.objects.values_list("ended_at", flat=True)) == {at(60)}
    assert records(live) == {live["member_a"].pk: ("present", 60)}  # away all along: no minutes


def test_one_member_whose_credit_fails_does_not_stop_the_others(live, monkeypatch, caplog):
    at, room = live["at"], live["room"]
    for member, connection in ((live["member_a"], "a"), (live["second"], "b")):
        services.presence_set(room=room, user=member.user, state="present", now=at(0), connection=connection)
    credit = services.attendance_credit_live

    def failing_for_the_second(*, member, **kwargs):
        if member.pk == live["second"].pk:
            raise ValueError("an odd record")
        return credit(member=member, **kwargs)

    monkeypatch.setattr(services, "attendance_credit_live", failing_for_the_second)
    with caplog.at_level(logging.ERROR, logger="lms.classroom.services"):
        assert services.room_end(actor=live["teacher_user"], room=room, now=at(45)) == 1
    assert records(live) == {live["member_a"].pk: ("left_early", 45)}
    assert LiveRoom.objects.get(pk=room.pk).ended_at == at(45)
    assert f"member {live['second'].pk}" in caplog.text


def test_a_member_reconnecting_from_a_server_whose_clock_is_ahead(live):
    """A connection's new state closes its open interval; one that starts later closes where it starts."""
    at, room, user = live["at"], live["room"], live["member_a"].user
    services.presence_set(room=room, user=user, state="present", now=at(20), connection="a")
    services.presence_set(room=room, user=user, state="away", now=at(19), connection="a")
    first, second = PresenceInterval.objects.order_by("pk")
    assert (first.started_at, first.ended_at) == (at(20), at(20))
    assert (second.state, second.started_at, second.ended_at) == ("away", at(19), None)


def test_the_sweep_ends_the_other_rooms_when_one_cannot_be_closed(live, monkeypatch, caplog, settings):
    settings.CLASSROOM_SWEEP_GRACE_MINUTES = 60
    at = live["at"]
    other_class = factories.training_class(
        live["town_b"],
        live["lecture"].starts_at.date(),
        teacher=factories.TeacherFactory(),
        point=live["point_b"],
        publish=True,
    )
    other_lecture = other_class.sessions.get(kind="leader_lecture")
    type(other_lecture).objects.filter(pk=other_lecture.pk).update(delivery=Delivery.LIVE)
    other = LiveRoom.objects.create(session=other_lecture)
    close = services._room_close

    def failing_for_the_first(room, now):
        if room.pk == live["room"].pk:
            raise RuntimeError("cannot close")
        return close(room, now)

    monkeypatch.setattr(services, "_room_close", failing_for_the_first)
    with caplog.at_level(logging.ERROR, logger="lms.classroom.services"):
        ended = services.rooms_sweep(now=at(60 + 60))
    assert [room.pk for room in ended] == [other.pk]
    assert LiveRoom.objects.get(pk=other.pk).ended_at == at(120)
    assert LiveRoom.objects.get(pk=live["room"].pk).ended_at is None
    assert f"room {live['room'].pk}" in caplog.text


def test_the_sweep_waits_for_the_grace_after_the_session_at_any_hour(moment, county, settings):
    """At each moment of the day (the clock frozen there), a room whose session ended more than the
    grace ago is ended with its attendance; one that ended within the grace is left alone."""
    settings.CLASSROOM_SWEEP_GRACE_MINUTES = 60
    now = timezone.now()
    first, _next = clock.day_bounds(now)
    teacher = factories.TeacherFactory()
    training_class = factories.training_class(
        county["town_a"], first.date(), teacher=teacher, point=county["point_a"], publish=True
    )
    scheduling.enrolment_add(actor=county["org"], training_class=training_class, members=[county["member_a"]])
    # The sessions are the class's own (from 8:00 on its day); they ended before or after the cutoff.
    sessions = list(training_class.sessions.order_by("starts_at"))
    cutoff = now - timedelta(minutes=60)
    over = [s for s in sessions if s.ends_at <= cutoff]
    within = [s for s in sessions if s.ends_at > cutoff]
    rooms = {}
    for session in sessions:
        type(session).objects.filter(pk=session.pk).update(delivery=Delivery.LIVE)
        room = LiveRoom.objects.create(session=session)
        PresenceInterval.objects.create(
            room=room,
            user=county["member_a"].user,
            state="present",
            started_at=session.starts_at,
            seen_at=session.ends_at,  # its last ping at the session's end, then nothing closed it
        )
        rooms[session.pk] = room

    swept = services.rooms_sweep()

    assert {room.session_id for room in swept} == {s.pk for s in over}
    assert set(LiveRoom.objects.filter(ended_at__isnull=False).values_list("session_id", flat=True)) == {
        s.pk for s in over
    }
    credited = set(AttendanceRecord.objects.values_list("session_id", flat=True))
    assert credited == {s.pk for s in over}
    assert all(LiveRoom.objects.get(pk=rooms[s.pk].pk).ended_at is None for s in within)

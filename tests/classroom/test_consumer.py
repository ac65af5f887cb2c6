"""The live room's websocket on the real ASGI app: who gets in, presence, chat, moderation, errors,
the rate limit and the end of the class."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client
from django.utils import timezone

from lms.asgi import application
from lms.attendance.models import AttendanceRecord
from lms.classroom import consumers, presence
from lms.classroom.models import PresenceInterval
from lms.scheduling import services as scheduling
from lms.scheduling.models import Delivery, SessionKind
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
async def close_worker_thread_connections():
    yield
    await sync_to_async(connections.close_all)()


@sync_to_async
def make_room(county):
    """Today's class of township A whose leader lecture is live now, by the frozen clock: it started
    5 minutes ago and lasts an hour (past midnight late in the evening, which the classroom does not
    mind). The session comes fresh from the database, with those times."""
    teacher_user = factories.UserFactory(first_name="张老师")
    teacher = factories.TeacherFactory(user=teacher_user)
    training_class = factories.training_class(
        county["town_a"], timezone.localdate(), teacher=teacher, point=county["point_a"], publish=True
    )
    scheduling.enrolment_add(actor=county["org"], training_class=training_class, members=[county["member_a"]])
    lecture = training_class.sessions.get(kind=SessionKind.LEADER_LECTURE)
    now = timezone.now()
    type(lecture).objects.filter(pk=lecture.pk).update(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=55), delivery=Delivery.LIVE
    )
    lecture.refresh_from_db()
    return {"session": lecture, "teacher": teacher_user, "member": county["member_a"].user}


@sync_to_async
def cookie_for(user):
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


async def join(session, user=None, origin="http://127.0.0.1:8000"):
    headers = [(b"host", b"127.0.0.1:8000"), (b"origin", origin.encode())]
    if user is not None:
        headers.append((b"cookie", (await cookie_for(user)).encode()))
    ws = WebsocketCommunicator(application, f"/ws/classroom/{session.pk}/", headers=headers)
    connected, code = await ws.connect()
    return ws, connected, code


async def until(ws, kind):
    """The next message of a type (skipping participant updates and others)."""
    for _ in range(20):
        message = await ws.receive_json_from(timeout=3)
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind}")


async def presence_written():
    """Presence is written in batches, about once a second: write this process's pending now."""
    await presence.buffer(consumers._announce).flush()


async def participant_update(ws, user_id, until_state="any"):
    """The next `participant` update about `user_id` (with that state, or None for "gone")."""
    for _ in range(10):
        update = await until(ws, "participant")
        if update["id"] != user_id:
            continue
        entry = update["participant"]
        if until_state == "any" or (entry["state"] if entry else None) == until_state:
            return update
    raise AssertionError(f"no participant update for {user_id}")


@pytest.fixture
def room(county):
    return county


async def refusal(ws) -> tuple[int, str, str]:
    """A refused connection: accepted, told why, then closed (code, message, close reason)."""
    told = await ws.receive_json_from(timeout=3)
    closed = await ws.receive_output(timeout=3)
    assert told["type"] == "refused" and closed["type"] == "websocket.close"
    assert told["code"] == closed["code"]
    return closed["code"], told["message"], closed.get("reason", "")


async def test_outsiders_anonymous_and_foreign_origins_are_refused(county):
    room = await make_room(county)
    for user, code in ((county["member_b"].user, 4403), (None, 4401)):
        ws, connected, _ = await join(room["session"], user)
        assert connected  # accepted, so that a browser sees the code and the reason (not 1006)
        closed, message, reason = await refusal(ws)
        assert closed == code and message and reason == message
    ws, _c, _ = await join(room["session"], county["member_b"].user)
    assert (await refusal(ws))[1] == "只有本班学员、授课教师和工作人员可以进入本课堂。"
    _ws, connected, _code = await join(room["session"], room["member"], origin="https://evil.example")
    assert not connected


async def test_presence_chat_and_moderation(county):
    room = await make_room(county)
    teacher, _c, _ = await join(room["session"], room["teacher"])
    welcome = await until(teacher, "welcome")
    assert welcome["role"] == "teacher" and welcome["chat"] == [] and welcome["chat_muted"] is False
    member, connected, _ = await join(room["session"], room["member"])
    assert connected
    assert (await until(member, "welcome"))["role"] == "member"
    joined = await participant_update(teacher, room["member"].pk)
    assert joined["participant"]["role"] == "member" and joined["participant"]["state"] == "present"

    await member.send_json_to({"type": "presence", "state": "away"})
    update = await participant_update(teacher, room["member"].pk)
    assert update["participant"]["state"] == "away"

    await member.send_json_to({"type": "chat.send", "text": "老师好"})
    said = await until(teacher, "chat.message")
    assert said["text"] == "老师好" and (await until(member, "chat.message"))["id"] == said["id"]

    await member.send_json_to({"type": "chat.mute", "muted": True})
    assert "只有授课教师或工作人员" in (await until(member, "error"))["message"]
    await teacher.send_json_to({"type": "chat.mute", "muted": True})
    assert (await until(member, "chat.muted"))["muted"] is True
    await member.send_json_to({"type": "chat.send", "text": "还能说话吗"})
    assert "禁言" in (await until(member, "error"))["message"]

    await teacher.send_json_to({"type": "chat.delete", "id": said["id"]})
    assert (await until(member, "chat.deleted"))["id"] == said["id"]

    # A returning member catches up: the deleted line is there without its text, chat is muted.
    await member.disconnect()
    again, _c, _ = await join(room["session"], room["member"])
    welcome = await until(again, "welcome")
    assert welcome["chat_muted"] is True
    assert [(m["deleted"], m["text"]) for m in welcome["chat"]] == [(True, "")]
    await again.disconnect()
    await teacher.disconnect()


async def test_malformed_messages_get_errors_and_the_connection_stays(county, monkeypatch):
    monkeypatch.setattr(consumers, "RATE_MESSAGES", 100)  # this test sends more than a person would
    room = await make_room(county)
    member, _c, _ = await join(room["session"], room["member"])
    await until(member, "welcome")
    for bad in ("{not json", "[1, 2]", '{"kind": "chat"}', '{"type": "launch"}', '{"type": 5}'):
        await member.send_to(text_data=bad)
        assert (await until(member, "error"))["message"]
    for bad in (
        {"type": "presence", "state": "sleeping"},
        {"type": "chat.send", "text": ""},
        {"type": "chat.send", "text": "长" * 501},
        {"type": "chat.send"},
        {"type": "chat.delete", "id": "x"},
    ):
        await member.send_json_to(bad)
        assert (await until(member, "error"))["type"] == "error"
    await member.send_json_to({"type": "chat.send", "text": "还在"})
    assert (await until(member, "chat.message"))["text"] == "还在"
    await member.disconnect()


async def test_a_flood_is_rate_limited(county):
    room = await make_room(county)
    teacher, _c, _ = await join(room["session"], room["teacher"])
    await until(teacher, "welcome")
    assert (await until(teacher, "participant"))["id"] == room["teacher"].pk  # the teacher's own arrival
    member, _c, _ = await join(room["session"], room["member"])
    await until(member, "welcome")
    for index in range(14):
        await member.send_json_to({"type": "presence", "state": "present" if index % 2 else "away"})
    # Ten within the window are taken, the other four refused.
    errors = [(await until(member, "error"))["message"] for _ in range(4)]
    assert errors == ["消息发送太多太快，请稍后再试。"] * 4
    assert await member.receive_nothing(timeout=0.5)  # members are not sent the participant list
    # The teacher hears of the member once per write, not of every change: the ten taken changes
    # (away, present, … the last present) end in a few updates (one per write), the last "present".
    await presence_written()
    updates = [await teacher.receive_json_from(timeout=3)]
    while not await teacher.receive_nothing(timeout=0.3):
        updates.append(await teacher.receive_json_from(timeout=3))
    assert {u["type"] for u in updates} == {"participant"}
    assert {u["id"] for u in updates} == {room["member"].pk}
    assert 1 <= len(updates) <= 3 and updates[-1]["participant"]["state"] == "present"
    await member.disconnect()
    await teacher.disconnect()


async def test_the_teacher_ends_the_class_for_everyone_and_attendance_is_credited(county):
    room = await make_room(county)
    teacher, _c, _ = await join(room["session"], room["teacher"])
    member, _c, _ = await join(room["session"], room["member"])
    await until(member, "welcome")
    await presence_written()
    # Present since the start (the join is moved back 5 minutes, to when the lecture began).
    await sync_to_async(PresenceInterval.objects.filter(user=room["member"]).update)(
        started_at=room["session"].starts_at
    )
    await member.send_json_to({"type": "class.end"})
    assert (await until(member, "error"))["type"] == "error"
    await teacher.send_json_to({"type": "class.end"})
    assert (await until(member, "class.ended"))["type"] == "class.ended"
    assert (await member.receive_output(timeout=3))["type"] == "websocket.close"
    record = await sync_to_async(AttendanceRecord.objects.get)(
        session=room["session"], member=county["member_a"]
    )
    assert (record.source, record.status, record.minutes) == ("live", "left_early", 5)
    ws, _c, _ = await join(room["session"], room["member"])
    assert (await refusal(ws))[0] == 4403


async def test_one_participants_odd_presence_does_not_stop_the_end_for_everyone(county):
    """A presence record that starts after the end (a server's clock ahead, a record moved by hand):
    the class still ends for everyone and the others are credited."""
    room = await make_room(county)
    odd = await sync_to_async(factories.MemberFactory)(branch=county["branch_a"])
    training_class = await sync_to_async(lambda: room["session"].training_class)()
    await sync_to_async(scheduling.enrolment_add)(
        actor=county["org"], training_class=training_class, members=[odd]
    )
    teacher, _c, _ = await join(room["session"], room["teacher"])
    member, _c, _ = await join(room["session"], room["member"])
    other, _c, _ = await join(room["session"], odd.user)
    for ws in (member, other):
        await until(ws, "welcome")
    await presence_written()
    await sync_to_async(PresenceInterval.objects.filter(user=room["member"]).update)(
        started_at=room["session"].starts_at
    )
    await sync_to_async(PresenceInterval.objects.filter(user=odd.user).update)(
        started_at=timezone.now() + timedelta(hours=1)
    )
    await teacher.send_json_to({"type": "class.end"})
    for ws in (member, other):
        assert (await until(ws, "class.ended"))["type"] == "class.ended"
    credited = await sync_to_async(list)(
        AttendanceRecord.objects.filter(session=room["session"]).values_list("member_id", "minutes")
    )
    assert credited == [(county["member_a"].pk, 5)]


async def test_hands_queue_polls_and_removal(county):
    room = await make_room(county)
    second = await sync_to_async(factories.MemberFactory)(branch=county["branch_a"])
    training_class = await sync_to_async(lambda: room["session"].training_class)()
    await sync_to_async(scheduling.enrolment_add)(
        actor=county["org"], training_class=training_class, members=[second]
    )
    teacher, _c, _ = await join(room["session"], room["teacher"])
    first, _c, _ = await join(room["session"], room["member"])
    other, _c, _ = await join(room["session"], second.user)
    for ws in (teacher, first, other):
        await until(ws, "welcome")

    await other.send_json_to({"type": "hand.raise"})
    await until(teacher, "hands")
    await first.send_json_to({"type": "hand.raise"})
    queue = (await until(teacher, "hands"))["hands"]
    while len(queue) < 2:
        queue = (await until(teacher, "hands"))["hands"]
    assert [hand["id"] for hand in queue] == [second.user_id, room["member"].pk]  # in the order raised
    await first.send_json_to({"type": "hand.lower", "user": second.user_id})
    assert "只有授课教师或工作人员" in (await until(first, "error"))["message"]
    await teacher.send_json_to({"type": "hand.lower", "user": second.user_id})
    queue = (await until(teacher, "hands"))["hands"]
    while len(queue) != 1:
        queue = (await until(teacher, "hands"))["hands"]
    assert queue[0]["id"] == room["member"].pk

    await first.send_json_to({"type": "poll.open", "question": "讲得清楚吗", "options": ["清楚", "一般"]})
    assert (await until(first, "error"))["type"] == "error"
    await teacher.send_json_to({"type": "poll.open", "question": "讲得清楚吗", "options": ["清楚", "一般"]})
    assert (await until(first, "poll"))["poll"]["counts"] == [0, 0]
    await first.send_json_to({"type": "poll.vote", "choice": 0})
    await other.send_json_to({"type": "poll.vote", "choice": 1})
    await other.send_json_to({"type": "poll.vote", "choice": 0})  # changes their vote
    await other.send_json_to({"type": "poll.vote", "choice": 7})
    assert (await until(other, "error"))["type"] == "error"
    poll = (await until(teacher, "poll"))["poll"]
    while poll["counts"] != [2, 0]:
        poll = (await until(teacher, "poll"))["poll"]
    await teacher.send_json_to({"type": "poll.close"})
    poll = (await until(first, "poll"))["poll"]
    while poll["open"]:
        poll = (await until(first, "poll"))["poll"]
    assert poll["counts"] == [2, 0]
    await first.send_json_to({"type": "poll.vote", "choice": 1})
    assert (await until(first, "error"))["type"] == "error"

    await teacher.send_json_to({"type": "participant.remove", "user": second.user_id})
    assert (await until(other, "removed"))["type"] == "removed"
    assert (await other.receive_output(timeout=3))["type"] == "websocket.close"
    assert (await participant_update(teacher, second.user_id, until_state=None))["participant"] is None
    ws, _c, _ = await join(room["session"], second.user)  # removed for good
    assert (await refusal(ws))[0] == 4403
    await first.disconnect()
    await teacher.disconnect()

"""The live room at county scale: what entering costs (queries at two sizes of room), presence
written in batches (the same minutes), participant updates coalesced, and nothing sent to a
connection after it closed, even when it closes in the middle of a broadcast."""

import asyncio
import contextlib
import gc
import json
import logging
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from uvicorn.protocols.utils import ClientDisconnected

from lms.asgi import application
from lms.attendance.models import AttendanceRecord
from lms.classroom import consumers, presence, services
from lms.classroom.models import ChatMessage, LiveRoom, PresenceInterval, RaisedHand
from lms.scheduling import services as scheduling
from tests import factories
from tests.classroom.test_consumer import cookie_for, make_room

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def manual_writes(monkeypatch):
    """Presence is written only when the test says so (`written()`), not every second."""
    monkeypatch.setattr(presence, "FLUSH_SECONDS", 3600)
    yield
    for buffer in presence._buffers.values():
        if buffer.task is not None:
            buffer.task.cancel()


async def written():
    await presence.buffer(consumers._announce).flush()


class Socket:
    """A websocket as uvicorn serves it: once the server sent its close, or once the client went,
    a further send raises (the "send after close" seen in the server's log); each such send is
    recorded as a violation."""

    def __init__(self, path: str, cookie: str, delay: float = 0.0):
        self.delay = delay  # how long each write takes (a slow phone)
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.frames: list[str] = []
        self.closed_by_server = False
        self.client_gone = False
        self.violations: list[dict] = []
        scope = {
            "type": "websocket",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "scheme": "ws",
            "headers": [
                (b"host", b"127.0.0.1:8000"),
                (b"origin", b"http://127.0.0.1:8000"),
                (b"cookie", cookie.encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "subprotocols": [],
        }
        self.inbox.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.create_task(application(scope, self.inbox.get, self.send))

    async def send(self, message):
        if self.closed_by_server or (self.client_gone and message["type"] == "websocket.close"):
            self.violations.append(message)
            raise RuntimeError(
                f"Unexpected ASGI message '{message['type']}', after sending 'websocket.close'"
            )
        if self.client_gone:
            raise ClientDisconnected()
        if message["type"] == "websocket.close":
            self.closed_by_server = True  # uvicorn then tells the application the socket is gone
            self.inbox.put_nowait({"type": "websocket.disconnect", "code": message.get("code", 1000)})
        elif message["type"] == "websocket.send":
            self.frames.append(message["text"])
        await asyncio.sleep(self.delay)  # a write lets others run, as a real one may
        if self.client_gone:
            raise ClientDisconnected()  # the phone went during the write

    def say(self, text: dict):
        self.inbox.put_nowait({"type": "websocket.receive", "text": json.dumps(text)})

    def goes(self):
        """The phone drops off: sends raise from now on, and the server hears of it."""
        self.client_gone = True
        self.inbox.put_nowait({"type": "websocket.disconnect", "code": 1006})

    def count(self, kind: str) -> int:
        return sum(f'"type": "{kind}"' in frame for frame in self.frames)

    async def wait_for(self, kind: str, times: int = 1, timeout: float = 10):
        deadline = asyncio.get_running_loop().time() + timeout
        while self.count(kind) < times:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{self.count(kind)} of {times} {kind}")
            await asyncio.sleep(0.01)

    async def finished(self):
        """The application's task for this socket ended, without an exception."""
        await asyncio.wait_for(asyncio.shield(self.task), timeout=5)
        assert self.task.exception() is None


@sync_to_async
def fill(room, size: int, present: bool = True) -> list:
    """`size` more enrolled members, each with a chat line and a raised hand (and present, written
    at once by another process)."""
    session = room["session"]
    members = factories.MemberFactory.create_batch(size, branch=room["branch"])
    scheduling.enrolment_add(actor=room["org"], training_class=session.training_class, members=members)
    live_room, _created = LiveRoom.objects.get_or_create(session=session)
    now = timezone.now()
    for member in members:
        if present:
            services.presence_set(
                room=live_room, user=member.user, state="present", connection=f"x!{member.pk}"
            )
        ChatMessage.objects.create(room=live_room, author=member.user, text="到", sent_at=now)
        RaisedHand.objects.create(room=live_room, user=member.user, raised_at=now)
    return members


@contextlib.contextmanager
def queries_everywhere():
    """Every query any thread makes (the consumer's run in a worker thread), as SQL."""
    seen: list[str] = []
    execute, executemany = CursorWrapper.execute, CursorWrapper.executemany

    def counted_execute(self, sql, params=None):
        seen.append(sql)
        return execute(self, sql, params)

    def counted_executemany(self, sql, param_list):
        seen.append(sql)
        return executemany(self, sql, param_list)

    CursorWrapper.execute, CursorWrapper.executemany = counted_execute, counted_executemany
    try:
        yield seen
    finally:
        CursorWrapper.execute, CursorWrapper.executemany = execute, executemany


async def enter(room, user, delay: float = 0.0) -> tuple[Socket, list[str]]:
    """Open a socket for `user` and return it with the queries made until its welcome."""
    cookie = await cookie_for(user)
    with queries_everywhere() as seen:
        socket = Socket(f"/ws/classroom/{room['session'].pk}/", cookie, delay)
        await socket.wait_for("welcome")
    return socket, list(seen)


def statements(batch: list[str]) -> list[str]:
    """Each query's verb, without the transaction's own statements (SQLite logs its BEGIN)."""
    verbs = [sql.lstrip().split()[0].upper() for sql in batch]
    return [verb for verb in verbs if verb not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")]


async def test_entering_costs_the_same_few_queries_with_2_or_20_in_the_room(county, manual_writes):
    room = {**(await make_room(county)), "branch": county["branch_a"], "org": county["org"]}
    await fill(room, 2)
    teacher, _queries = await enter(room, room["teacher"])  # the process now knows the room
    first, small = await enter(room, room["member"])
    assert first.count("welcome") == 1 and len(json.loads(first.frames[0])["hands"]) == 2
    await fill(room, 18)
    later = (await fill(room, 1))[0]
    second, large = await enter(room, later.user)
    assert [line["text"] for line in json.loads(second.frames[0])["chat"]] == ["到"] * 21
    # The login's user (its session comes from the cache), the person's facts (may they enter, were
    # they removed, has the class ended), the room, chat, hands, the poll.
    assert len(small) == len(large) <= 7, "\n".join(small) + "\n\n" + "\n".join(large)
    assert not [sql for sql in large if sql.lstrip().upper().startswith(("INSERT", "UPDATE"))]

    # The three entries (the teacher's, two members') are written in one INSERT, then the
    # moderators are told (the stage's rooms, the people's entries).
    with queries_everywhere() as batch:
        await written()
    assert statements(batch) == ["INSERT", "SELECT", "SELECT"]
    # Leaving writes nothing at once either; the next batch closes the interval in one UPDATE.
    with queries_everywhere() as leaving:
        second.goes()
        await second.finished()
    assert leaving == []
    with queries_everywhere() as batch:
        await written()
    assert statements(batch) == ["UPDATE", "SELECT", "SELECT"]
    for socket in (first, teacher):
        socket.goes()
        await socket.finished()


async def test_members_entering_together_share_the_login_and_room_reads(county, manual_writes):
    """Ten phones at once: their logins and the room's state (chat, hands, poll) are read in shared
    trips to the database thread, not once each, and every one of them gets the same welcome."""
    room = {**(await make_room(county)), "branch": county["branch_a"], "org": county["org"]}
    members = await fill(room, 10, present=False)
    teacher, _queries = await enter(room, room["teacher"])  # the process now knows the room
    cookies = [await cookie_for(member.user) for member in members]
    path = f"/ws/classroom/{room['session'].pk}/"
    with queries_everywhere() as seen:
        sockets = [Socket(path, cookie) for cookie in cookies]
        await asyncio.gather(*(socket.wait_for("welcome") for socket in sockets))
    chat_reads = [sql for sql in seen if "classroom_chatmessage" in sql]
    assert 1 <= len(chat_reads) <= 2, "\n".join(seen)  # one per trip, not one per phone
    assert len(seen) < 10 * 4, "\n".join(seen)
    welcomes = [json.loads(socket.frames[0]) for socket in sockets]
    assert {len(welcome["chat"]) for welcome in welcomes} == {10}
    assert {welcome["type"] for welcome in welcomes} == {"welcome"}
    assert len({welcome["peer"] for welcome in welcomes}) == 10  # each still has its own peer id
    for socket in [*sockets, teacher]:
        socket.goes()
        await socket.finished()


async def test_presence_written_in_batches_credits_the_same_minutes(county, frozen_clock, manual_writes):
    """One member's day through the buffer (changes inside one batch and across batches, a
    reconnect) and the same day written at once by `presence_set` give the same minutes."""
    room = await make_room(county)
    session = room["session"]
    other = await sync_to_async(factories.MemberFactory)(branch=county["branch_a"])
    await sync_to_async(
        lambda: scheduling.enrolment_add(
            actor=county["org"], training_class=session.training_class, members=[other]
        )
    )()
    live_room, _created = await sync_to_async(LiveRoom.objects.get_or_create)(session=session)
    frozen_clock.move_to(session.starts_at, tick=False)  # still between moves: exact minutes
    buffer = presence.buffer(consumers._announce)
    member, second = room["member"], other.user

    def at_minute(minutes):
        frozen_clock.move_to(session.starts_at + timedelta(minutes=minutes), tick=False)

    def record(user, connection, state):
        buffer.record(
            room_id=live_room.pk,
            stage_id=live_room.pk,
            user_id=user.pk,
            connection=connection,
            role="member",
            state=state,
        )

    record(member, "a!1", "present")
    record(second, "b!1", "present")
    at_minute(20)
    record(member, "a!1", "away")  # tab hidden…
    at_minute(25)
    record(member, "a!1", "present")  # …and back, in the same batch
    await written()
    at_minute(30)
    record(second, "b!1", None)  # closes an interval written by the last batch
    at_minute(40)
    record(member, "a!1", None)  # network drop
    at_minute(42)
    record(member, "a!2", "present")  # back on a new connection
    buffer.seen("a!2")
    await written()
    at_minute(50)
    buffer.seen("a!2")
    await written()
    at_minute(60)
    await sync_to_async(services.room_end)(actor=room["teacher"], room=live_room)

    minutes = await sync_to_async(dict)(
        AttendanceRecord.objects.filter(session=session).values_list("member__user_id", "minutes")
    )
    assert minutes == {member.pk: 53, second.pk: 30}  # 60 − 5 away − 2 gone; joined at 0, left at 30
    spans = await sync_to_async(list)(
        PresenceInterval.objects.filter(room=live_room, user=member).values_list("state", "seen_at")
    )
    assert len(spans) == 4 and spans[-1] == ("present", session.starts_at + timedelta(minutes=50))

    # The same day, written at once, in a second session's room.
    @sync_to_async
    def direct():
        AttendanceRecord.objects.filter(session=session).delete()
        PresenceInterval.objects.filter(room=live_room).delete()
        LiveRoom.objects.filter(pk=live_room.pk).update(ended_at=None)
        live_room.refresh_from_db()
        start = session.starts_at
        steps = [
            (member, "a!1", "present", 0),
            (second, "b!1", "present", 0),
            (member, "a!1", "away", 20),
            (member, "a!1", "present", 25),
            (second, "b!1", None, 30),
            (member, "a!1", None, 40),
            (member, "a!2", "present", 42),
        ]
        for user, connection, state, minute in steps:
            services.presence_set(
                room=live_room,
                user=user,
                state=state,
                connection=connection,
                now=start + timedelta(minutes=minute),
            )
        services.room_end(actor=room["teacher"], room=live_room, now=start + timedelta(minutes=60))
        return dict(
            AttendanceRecord.objects.filter(session=session).values_list("member__user_id", "minutes")
        )

    assert await direct() == minutes


async def test_moderators_hear_of_each_change_once_per_write(county, manual_writes):
    room = {**(await make_room(county)), "branch": county["branch_a"], "org": county["org"]}
    teacher, _queries = await enter(room, room["teacher"])
    members = await fill(room, 6, present=False)
    sockets = [(await enter(room, member.user))[0] for member in members]
    for socket in sockets[:3]:
        socket.say({"type": "presence", "state": "away"})
        socket.say({"type": "presence", "state": "present"})
        socket.say({"type": "presence", "state": "away"})
    await asyncio.sleep(0.2)
    assert teacher.count("participant") == 0  # nothing before the write
    await written()
    await teacher.wait_for("participant", times=7)  # the teacher and six members, once each
    await asyncio.sleep(0.2)
    frames = [frame for frame in teacher.frames if '"participant"' in frame]
    assert len(frames) == 7
    away = [frame for frame in frames if '"state": "away"' in frame]
    assert len(away) == 3  # the last of each one's three changes
    assert all(socket.count("participant") == 0 for socket in sockets)  # members get no list
    sockets[0].goes()
    await sockets[0].finished()
    await written()
    await teacher.wait_for("participant", times=8)
    assert f'"id": {members[0].user_id}, "participant": null' in teacher.frames[-1]
    for socket in [teacher, *sockets[1:]]:
        socket.goes()
        await socket.finished()


async def test_nothing_is_sent_after_close_when_phones_drop_or_are_removed_mid_broadcast(
    county, manual_writes
):
    loop_errors = []  # an exception in any task (a connection's writer too), reported when it is freed
    asyncio.get_running_loop().set_exception_handler(lambda _loop, context: loop_errors.append(context))
    logged = Logged()
    logging.getLogger("lms.classroom").addHandler(logged)
    room = {**(await make_room(county)), "branch": county["branch_a"], "org": county["org"]}
    teacher, _queries = await enter(room, room["teacher"])
    members = await fill(room, 8)
    # Three slow phones (each write takes a while) and five quick ones.
    sockets = [
        (await enter(room, member.user, 0.05 if index < 3 else 0))[0] for index, member in enumerate(members)
    ]
    for index in range(5):
        teacher.say({"type": "chat.send", "text": f"第{index}条"})
    await sockets[0].wait_for("chat.message")
    for socket in sockets[:3]:  # the slow phones drop while lines and an answer go out to them
        socket.say({"type": "launch"})  # (an unknown type: the answer is an error)
        socket.goes()
    teacher.say({"type": "participant.remove", "user": members[3].user_id})
    for socket in sockets[4:]:
        try:
            await socket.wait_for("chat.message", times=5)
        except AssertionError:
            raise AssertionError(str(teacher.frames[1:]) + "\n" + str(socket.frames[1:])) from None
    await sockets[3].wait_for("removed")
    for socket in sockets[:4]:
        await socket.finished()  # each connection's task ended cleanly
    await written()
    teacher.say({"type": "class.end"})
    for socket in sockets[4:]:
        await socket.wait_for("class.ended")
    for socket in [teacher, *sockets]:
        await socket.finished()
        assert socket.violations == []
        assert socket.count("welcome") == 1
    assert sockets[3].closed_by_server and not sockets[3].count("class.ended")
    del teacher, sockets, socket
    gc.collect()
    await asyncio.sleep(0)
    assert loop_errors == []
    logging.getLogger("lms.classroom").removeHandler(logged)
    assert logged.errors == []


class Logged(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.errors: list[str] = []

    def emit(self, record):
        self.errors.append(record.getMessage())

"""Video signalling and sub-classrooms over the websocket, on the real ASGI app: who may publish,
offers and answers reach only the right peer, the mesh viewer limit with its message, a viewer's
place freed when it leaves; a township sub-classroom shares the big room's chat and its end."""

import base64
import hashlib
import hmac
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from lms.attendance.models import AttendanceRecord
from lms.classroom import media, services
from lms.classroom.models import MediaViewer, PresenceInterval
from lms.scheduling import services as scheduling
from lms.scheduling.models import Delivery, SessionKind
from tests import factories
from tests.classroom.test_consumer import close_worker_thread_connections, join, make_room, until  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
ANSWER = {"type": "answer", "sdp": "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n"}


@sync_to_async
def second_member(room, county):
    member = factories.MemberFactory(branch=county["branch_a"])
    scheduling.enrolment_add(
        actor=county["org"], training_class=room["session"].training_class, members=[member]
    )
    return member.user


async def test_the_teacher_publishes_and_viewers_are_admitted_up_to_the_limit(county, settings):
    settings.CLASSROOM_MESH_VIEWERS = 1
    room = await make_room(county)
    other_user = await second_member(room, county)
    teacher, _c, _ = await join(room["session"], room["teacher"])
    teacher_peer = (await until(teacher, "welcome"))["peer"]
    member, _c, _ = await join(room["session"], room["member"])
    welcome = await until(member, "welcome")
    assert welcome["publisher"] is None and welcome["ice_servers"] == []
    member_peer = welcome["peer"]

    await member.send_json_to({"type": "media.publish", "source": "camera"})
    assert "只有授课教师或工作人员" in (await until(member, "error"))["message"]
    await teacher.send_json_to({"type": "media.publish", "source": "webcam"})
    assert (await until(teacher, "error"))["message"]
    await teacher.send_json_to({"type": "media.publish", "source": "camera"})
    publisher = (await until(member, "media.publisher"))["publisher"]
    assert publisher["peer"] == teacher_peer and publisher["source"] == "camera"

    await member.send_json_to({"type": "media.request"})
    asked = await until(teacher, "media.viewer")
    assert asked["peer"] == member_peer
    await teacher.send_json_to({"type": "media.signal", "to": member_peer, "description": OFFER})
    offer = await until(member, "media.signal")
    assert offer["from"] == teacher_peer and offer["description"] == OFFER
    await member.send_json_to({"type": "media.signal", "to": teacher_peer, "description": ANSWER})
    assert (await until(teacher, "media.signal"))["description"] == ANSWER

    # Beyond the limit: a clear message, no place, and no signalling to the publisher.
    other, _c, _ = await join(room["session"], other_user)
    await until(other, "welcome")
    await other.send_json_to({"type": "media.request"})
    assert "最多 1" in (await until(other, "media.full"))["message"]
    await other.send_json_to({"type": "media.signal", "to": teacher_peer, "description": ANSWER})
    assert (await until(other, "error"))["message"]
    await other.send_json_to(
        {"type": "media.signal", "to": teacher_peer, "description": {"type": "pranswer"}}
    )
    assert (await until(other, "error"))["message"]

    # The first viewer leaves: the publisher hears of it and the place is free again.
    await member.disconnect()
    assert (await until(teacher, "media.left"))["peer"] == member_peer
    await other.send_json_to({"type": "media.request"})
    assert (await until(teacher, "media.viewer"))["peer"] != member_peer
    assert await sync_to_async(MediaViewer.objects.count)() == 1

    # The publisher's connection goes: viewers learn that no one is sending.
    await teacher.disconnect()
    assert (await until(other, "media.publisher"))["publisher"] is None
    assert await sync_to_async(MediaViewer.objects.count)() == 0
    await other.disconnect()


def test_turn_credentials_follow_coturns_shared_secret_scheme(settings):
    settings.CLASSROOM_STUN_URLS = ["stun:turn.example.org:3478"]
    settings.CLASSROOM_TURN_URLS = ["turn:turn.example.org:3478?transport=udp"]
    settings.CLASSROOM_TURN_SECRET = "s3cret"
    user = factories.UserFactory.build(pk=42)
    stun, turn = media.ice_servers(user)
    assert stun == {"urls": ["stun:turn.example.org:3478"]}
    expiry, user_id = turn["username"].split(":")
    assert user_id == "42" and int(expiry) > timezone.now().timestamp() + 3600
    expected = base64.b64encode(
        hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()
    ).decode()
    assert turn["credential"] == expected


@sync_to_async
def big_classroom(county, room):
    """A city big-classroom lecture now, with township A's live lecture (`room`) following it."""
    city_teacher = factories.UserFactory(first_name="王教授")
    city_class = factories.training_class(
        county["city"],
        timezone.localdate(),
        teacher=factories.TeacherFactory(user=city_teacher),
        point=county["point_b"],
        publish=True,
        hour=0,
    )
    lecture = city_class.sessions.get(kind=SessionKind.LEADER_LECTURE)
    now = timezone.now()
    type(lecture).objects.filter(pk=lecture.pk).update(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=55), delivery=Delivery.LIVE
    )
    lecture.refresh_from_db()
    follower = type(lecture).objects.get(pk=room["session"].pk)
    services.sub_classroom_link(actor=county["staff_a"], big_session=lecture, session=follower)
    terminal = services.terminal_create(
        actor=county["staff_a"],
        name="甲村大屏",
        township=county["town_a"],
        username="jia",
        password="screen-pass-2026",
    )
    return {"session": lecture, "teacher": city_teacher, "terminal": terminal.user}


async def test_a_sub_classroom_shares_the_big_room_and_keeps_its_own_attendance(county):
    room = await make_room(county)
    big = await big_classroom(county, room)
    professor, _c, _ = await join(big["session"], big["teacher"])
    await until(professor, "welcome")
    member, _c, _ = await join(room["session"], room["member"])
    assert (await until(member, "welcome"))["role"] == "member"
    arrived = await until(professor, "participant")
    while arrived["id"] != room["member"].pk:
        arrived = await until(professor, "participant")
    assert arrived["participant"]["classroom"] == "甲镇党校"
    screen, _c, _ = await join(room["session"], big["terminal"])
    assert (await until(screen, "welcome"))["role"] == "terminal"

    await member.send_json_to({"type": "chat.send", "text": "甲镇分课堂报到"})
    assert (await until(professor, "chat.message"))["text"] == "甲镇分课堂报到"
    assert (await until(screen, "chat.message"))["text"] == "甲镇分课堂报到"
    await professor.send_json_to({"type": "media.publish", "source": "screen"})
    assert (await until(screen, "media.publisher"))["publisher"]["source"] == "screen"

    # The township's staff follow the big room; they do not moderate it.
    staff, _c, _ = await join(room["session"], county["staff_a"])
    welcome = await until(staff, "welcome")
    assert welcome["role"] == "staff" and welcome["moderator"] is False
    await staff.send_json_to({"type": "chat.mute", "muted": True})
    assert (await until(staff, "error"))["message"]
    await staff.send_json_to({"type": "class.end"})
    assert (await until(staff, "error"))["message"]

    # The member has followed from the township for the last five minutes.
    await sync_to_async(PresenceInterval.objects.filter(user=room["member"]).update)(
        started_at=timezone.now() - timedelta(minutes=5)
    )
    await professor.send_json_to({"type": "class.end"})
    for ws in (member, screen, staff):
        assert (await until(ws, "class.ended"))["type"] == "class.ended"
    record = await sync_to_async(AttendanceRecord.objects.get)(member__user=room["member"])
    assert (record.session_id, record.source, record.minutes) == (room["session"].pk, "live", 5)
    await professor.disconnect()


@sync_to_async
def orphan_viewer(room):
    """A viewer place held by a connection a crashed server never closed: open, silent for 5 minutes."""
    session = type(room["session"]).objects.get(pk=room["session"].pk)
    live_room, _role = services.room_enter(user=room["member"], session=session)
    long_ago = timezone.now() - timedelta(minutes=5)
    services.presence_set(
        room=live_room, user=room["member"], state="present", connection="gone!1", now=long_ago
    )
    MediaViewer.objects.create(room=live_room, user=room["member"], connection="gone!1", since=long_ago)


async def test_places_held_by_dead_connections_are_given_back(county, settings):
    settings.CLASSROOM_MESH_VIEWERS = 1
    room = await make_room(county)
    teacher, _c, _ = await join(room["session"], room["teacher"])
    await until(teacher, "welcome")
    await teacher.send_json_to({"type": "media.publish", "source": "camera"})
    await until(teacher, "media.publisher")
    await orphan_viewer(room)
    member, _c, _ = await join(room["session"], room["member"])
    await until(member, "welcome")
    await member.send_json_to({"type": "media.request"})
    assert (await until(teacher, "media.viewer"))["peer"] != "gone!1"
    await member.disconnect()
    await teacher.disconnect()

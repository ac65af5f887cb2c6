"""连线: the big classroom's teacher or staff hand the video to a township sub-classroom's screen (or
its staff) for a question from there, with the same rules as sending video: only moderators hand it
over, only to a screen or staff member of a sub-classroom connected now, only that connection may
then send, and the moderators take it back by sending their own."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from lms.classroom import media, services
from lms.classroom.models import LiveRoom, PresenceInterval, PresenceState

pytestmark = pytest.mark.django_db


def connected(room, user, connection: str, role: str, seen=None):
    now = timezone.now()
    return PresenceInterval.objects.create(
        room=room,
        user=user,
        connection=connection,
        role=role,
        state=PresenceState.PRESENT,
        started_at=now,
        seen_at=seen or now,
    )


@pytest.fixture
def linked(big, settings):
    settings.JANUS_URL = ""  # browser to browser: nothing here needs a media server
    room = services.sub_classroom_link(actor=big["staff_a"], big_session=big["big"], session=big["sub"])
    screen = services.terminal_create(
        actor=big["staff_a"],
        name="镇会议室大屏",
        township=big["town_a"],
        username="town-a-screen",
        password="screen-pass-2026",
    )
    stage = room.parent
    teacher = big["org"]  # who teaches does not matter here: the role does
    connected(stage, teacher, "teacher-tab", "teacher")
    connected(room, screen.user, "screen-a", "terminal")
    connected(room, big["member_a"].user, "phone-a", "member")
    connected(room, big["staff_a"], "staff-a-tab", "staff")
    return {**big, "room": room, "stage": stage, "screen": screen.user, "teacher": teacher}


def publisher(stage) -> tuple:
    stage = LiveRoom.objects.get(pk=stage.pk)
    return stage.publisher_id, stage.publisher_connection


def test_the_teacher_hands_the_video_to_a_township_screen_and_takes_it_back(linked):
    stage, screen = linked["stage"], linked["screen"]
    media.publish(
        stage=stage, user=linked["teacher"], role="teacher", connection="teacher-tab", source="camera"
    )

    connection, user_id = media.hand_over(stage=stage, role="teacher", user_id=screen.pk)
    assert (connection, user_id) == ("screen-a", screen.pk)
    assert publisher(stage) == (screen.pk, "screen-a")
    assert media.feed_id("screen-a") != media.feed_id("teacher-tab")  # everyone follows the screen's feed

    # The screen sends from the connection it was handed, not from another one.
    assert not media.publish(
        stage=stage, user=screen, role="terminal", connection="screen-a", source="camera"
    )
    with pytest.raises(PermissionDenied):
        media.publish(stage=stage, user=screen, role="terminal", connection="screen-a-2", source="camera")
    assert publisher(stage) == (screen.pk, "screen-a")

    # Nobody else in the room takes it meanwhile…
    with pytest.raises(PermissionDenied):
        media.publish(
            stage=stage, user=linked["member_a"].user, role="member", connection="phone-a", source="camera"
        )
    # …but the teacher takes it back by sending again, though the screen is still connected.
    assert media.publish(
        stage=stage, user=linked["teacher"], role="teacher", connection="teacher-tab", source="camera"
    )
    assert publisher(stage) == (linked["teacher"].pk, "teacher-tab")
    with pytest.raises(PermissionDenied):  # and the screen's permission went with it
        media.publish(stage=stage, user=screen, role="terminal", connection="screen-a", source="camera")


def test_only_moderators_hand_over_and_only_to_a_connected_screen_or_staff_of_a_sub_classroom(linked):
    stage = linked["stage"]
    for role in ("member", "terminal", "follower"):  # a sub-classroom's staff act as followers
        with pytest.raises(PermissionDenied):
            media.hand_over(stage=stage, role=role, user_id=linked["screen"].pk)
    with pytest.raises(ValidationError):  # a member's phone is not a screen
        media.hand_over(stage=stage, role="teacher", user_id=linked["member_a"].user.pk)
    with pytest.raises(ValidationError):  # the teacher in the big room itself is no sub-classroom
        media.hand_over(stage=stage, role="staff", user_id=linked["teacher"].pk)
    assert publisher(stage) == (None, "")

    # The sub-classroom's staff may be handed it; a screen that went silent may not.
    assert media.hand_over(stage=stage, role="staff", user_id=linked["staff_a"].pk)[0] == "staff-a-tab"
    PresenceInterval.objects.filter(connection="screen-a").update(
        seen_at=timezone.now() - timedelta(minutes=10)
    )
    with pytest.raises(ValidationError):
        media.hand_over(stage=stage, role="teacher", user_id=linked["screen"].pk)
    assert publisher(stage) == (linked["staff_a"].pk, "staff-a-tab")


# --- Over the websocket --------------------------------------------------------------------------


@pytest.fixture
def on_air(county, settings):
    """The city's big-classroom lecture and township A's following it, both live now (the frozen
    clock's now), with a teacher, township A's screen and an enrolled township member."""
    from lms.scheduling import services as scheduling
    from lms.scheduling.models import Delivery, SessionKind
    from tests import factories

    settings.JANUS_URL = ""
    teacher = factories.UserFactory(first_name="张老师")
    now = timezone.now()
    sessions = []
    for school, point, tutor in (
        (county["city"], county["point_b"], factories.TeacherFactory(user=teacher)),
        (county["town_a"], county["point_a"], factories.TeacherFactory()),
    ):
        training_class = factories.training_class(
            school, timezone.localdate(), teacher=tutor, point=point, publish=True
        )
        session = training_class.sessions.get(kind=SessionKind.LEADER_LECTURE)
        type(session).objects.filter(pk=session.pk).update(
            starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=55), delivery=Delivery.LIVE
        )
        session.refresh_from_db()
        sessions.append(session)
    big, sub = sessions
    scheduling.enrolment_add(
        actor=county["org"], training_class=sub.training_class, members=[county["member_a"]]
    )
    services.sub_classroom_link(actor=county["org"], big_session=big, session=sub)
    screen = services.terminal_create(
        actor=county["staff_a"],
        name="镇会议室大屏",
        township=county["town_a"],
        username="town-a-screen",
        password="screen-pass-2026",
    )
    return {
        "big": big,
        "sub": sub,
        "teacher": teacher,
        "screen": screen.user,
        "member": county["member_a"].user,
    }


@pytest.mark.django_db(transaction=True)
async def test_the_handover_over_the_websocket_invites_the_screen_and_everyone_follows_it(on_air):
    from channels.layers import channel_layers

    from tests.classroom.test_consumer import join, presence_written, until

    channel_layers.backends = {}
    teacher, _ok, _code = await join(on_air["big"], on_air["teacher"])
    screen, _ok, _code = await join(on_air["sub"], on_air["screen"])
    member, _ok, _code = await join(on_air["sub"], on_air["member"])
    welcomes = [await until(ws, "welcome") for ws in (teacher, screen, member)]
    screen_peer = welcomes[1]["peer"]
    await presence_written()

    await teacher.send_json_to({"type": "media.publish", "source": "camera"})
    await until(member, "media.publisher")
    await member.send_json_to({"type": "media.handover", "user": on_air["screen"].pk})
    assert "只有授课教师或工作人员" in (await until(member, "error"))["message"]

    await teacher.send_json_to({"type": "media.handover", "user": on_air["screen"].pk})
    invite = await until(screen, "media.invite")
    assert invite["source"] == "camera" and "media" not in invite  # browser to browser here
    announced = await until(member, "media.publisher")
    assert announced["publisher"]["peer"] == screen_peer and announced["renegotiate"]
    await screen.send_json_to({"type": "media.publish", "source": "camera"})
    assert (await until(member, "media.publisher"))["publisher"]["peer"] == screen_peer

    # The teacher takes the video back.
    await teacher.send_json_to({"type": "media.publish", "source": "camera"})
    assert (await until(member, "media.publisher"))["publisher"]["peer"] == welcomes[0]["peer"]
    for ws in (teacher, screen, member):
        await ws.disconnect()
    channel_layers.backends = {}

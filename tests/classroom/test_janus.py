"""Django owns the Janus media server (a real Janus started on free ports): it creates the live
room's Janus room with a secret, only tokens Django signed open Janus sessions, only the room's
participants join it, and the room is gone once the class ends. Without JANUS_URL the video stays
browser to browser."""

import json
from datetime import timedelta
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from django.core.exceptions import ValidationError

from lms.classroom import janus, media, services
from lms.classroom.models import LiveRoom, MediaMode
from tests.classroom.conftest import live
from tests.classroom.janus_server import start_janus

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def janus_server():
    server = start_janus()
    yield server
    server.stop()


@pytest.fixture
def with_janus(settings, janus_server):
    for name, value in janus_server.settings().items():
        setattr(settings, name, value)
    janus._known_rooms.clear()
    yield janus_server
    janus._known_rooms.clear()


@pytest.fixture
def lecture(held):
    """`held`'s leader lecture taught live, its room entered by a member, its teacher with a login."""
    session = live(held["lecture"])
    session.teacher.user = held["member_b"].user.__class__.objects.create_user("teacher_j", password="x")
    session.teacher.save()
    room, _role = services.room_enter(user=held["member_a"].user, session=session, now=held["at"](0))
    return {**held, "lecture": session, "room": room, "teacher_user": session.teacher.user}


class Browser:
    """What a browser does with Janus's HTTP API (as janus.js does over its WebSocket)."""

    def __init__(self, server):
        self.url = server.url

    def post(self, path: str, body: dict) -> dict:
        request = Request(self.url + path, data=json.dumps({**body, "transaction": "t"}).encode())
        with urlopen(request, timeout=5) as answer:
            return json.loads(answer.read())

    def session(self, token: str) -> dict:
        return self.post("", {"janus": "create", "token": token})

    def join(self, token: str, room: int, room_token: str, ptype: str = "publisher") -> dict:
        session = self.session(token)["data"]["id"]
        handle = self.post(f"/{session}", {"janus": "attach", "plugin": janus.VIDEOROOM, "token": token})
        body = {"request": "join", "room": room, "ptype": ptype, "token": room_token, "display": "test"}
        self.post(f"/{session}/{handle['data']['id']}", {"janus": "message", "body": body, "token": token})
        # The join's answer comes as an event: the long poll of the session.
        with urlopen(f"{self.url}/{session}?{urlencode({'token': token, 'maxev': 1})}", timeout=10) as answer:
            event = json.loads(answer.read())
        return event["plugindata"]["data"]


def client(server) -> janus.Client:
    return janus.Client(janus.instance_for(0))


def test_the_room_is_created_in_janus_with_a_secret_when_the_first_participant_enters(with_janus, lecture):
    stage = lecture["room"]
    assert media.media_server_ready(stage)
    assert client(with_janus).room_exists(stage.pk)
    welcome = media.client_media(room=stage, stage=stage, user=lecture["member_a"].user, ready=True)
    assert welcome["mode"] == "janus" and welcome["room"] == stage.pk
    assert welcome["url"] == with_janus.public_url
    stage.refresh_from_db()
    assert stage.media == MediaMode.JANUS

    # Without the room's secret no one destroys it; without the admin key no one creates rooms.
    with client(with_janus).videoroom() as request:
        with pytest.raises(janus.JanusError) as wrong_secret:
            request({"request": "destroy", "room": stage.pk, "secret": "guessed"})
        assert wrong_secret.value.code == 433  # unauthorized
        with pytest.raises(janus.JanusError) as no_key:
            request({"request": "create", "room": 999_999, "admin_key": "guessed"})
        assert no_key.value.code == 433
    assert client(with_janus).room_exists(stage.pk)
    assert not client(with_janus).room_exists(999_999)

    # Entering again (another process, or after the memo expired) keeps the same room.
    janus._known_rooms.clear()
    assert media.media_server_ready(stage)
    assert not client(with_janus).room_create(stage.pk)  # it existed


def test_janus_refuses_tokens_django_did_not_issue(with_janus, lecture):
    stage = lecture["room"]
    media.media_server_ready(stage)
    welcome = media.client_media(room=stage, stage=stage, user=lecture["member_a"].user, ready=True)
    browser = Browser(with_janus)

    now = int(with_janus.now())  # as Janus's clock has it
    forged = [
        "",
        f"{now + 3600},janus,{janus.VIDEOROOM}:bm90IGEgc2lnbmF0dXJl",
        janus.signed_token(now + 3600, secret="another secret"),
        janus.signed_token(now - 60),  # Django's own, but expired
    ]
    for token in forged:
        answer = browser.session(token)
        assert answer["janus"] == "error" and answer["error"]["code"] == 403, token

    joined = browser.join(welcome["token"], stage.pk, welcome["room_token"])
    assert joined["videoroom"] == "joined" and joined["room"] == stage.pk
    # Django's token, but not this room's token: VideoRoom refuses the join.
    refused = browser.join(welcome["token"], stage.pk, janus.room_token(stage.pk + 1))
    assert refused["error_code"] == 433


def test_the_token_lasts_the_class_and_no_longer_than_needed(with_janus, lecture, settings):
    stage = lecture["room"]
    session = lecture["lecture"]
    welcome = media.client_media(
        room=stage, stage=stage, user=lecture["member_a"].user, ready=True, now=lecture["at"](0)
    )
    expires = int(welcome["token"].split(",")[0])
    grace = timedelta(minutes=settings.CLASSROOM_SWEEP_GRACE_MINUTES)
    assert expires == int((session.ends_at + grace).timestamp())
    late = media.client_media(
        room=stage, stage=stage, user=lecture["member_a"].user, ready=True, now=session.ends_at + grace
    )
    minimum = session.ends_at + grace + timedelta(minutes=settings.JANUS_TOKEN_MINUTES)
    assert int(late["token"].split(",")[0]) == int(minimum.timestamp())


def test_the_janus_room_is_gone_after_the_class_ends(with_janus, lecture, django_capture_on_commit_callbacks):
    stage = lecture["room"]
    media.media_server_ready(stage)
    media.client_media(room=stage, stage=stage, user=lecture["member_a"].user, ready=True)
    welcome = media.client_media(room=stage, stage=stage, user=lecture["member_a"].user, ready=True)
    assert client(with_janus).room_exists(stage.pk)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.room_end(actor=lecture["teacher_user"], room=LiveRoom.objects.get(pk=stage.pk))
    assert len(callbacks) == 1
    assert not client(with_janus).room_exists(stage.pk)
    # A participant who still holds the tokens finds no room.
    assert Browser(with_janus).join(welcome["token"], stage.pk, welcome["room_token"])["error_code"] == 426


def test_an_unreachable_janus_is_said_and_the_class_goes_on(settings, lecture):
    settings.JANUS_URL = "http://127.0.0.1:9/janus"  # nothing listens there
    settings.JANUS_TIMEOUT_SECONDS = 1
    janus._known_rooms.clear()
    stage = lecture["room"]
    assert not media.media_server_ready(stage)
    welcome = media.client_media(room=stage, stage=stage, user=lecture["member_a"].user, ready=False)
    assert welcome["mode"] == "janus" and welcome["error"] and "token" not in welcome
    services.room_end(actor=lecture["teacher_user"], room=stage)  # ending does not wait for Janus


def test_without_janus_url_video_stays_browser_to_browser(settings, lecture):
    settings.JANUS_URL = ""
    stage = lecture["room"]
    assert not media.media_server_ready(stage)
    assert media.client_media(room=stage, stage=stage, user=lecture["member_a"].user, ready=False) == {
        "mode": "mesh"
    }
    stage.refresh_from_db()
    assert stage.media == MediaMode.MESH


def test_with_janus_viewers_do_not_ask_the_publisher_browser(with_janus, lecture):
    stage = lecture["room"]
    media.publish(
        stage=stage, user=lecture["teacher_user"], role="teacher", connection="teacher-tab", source="camera"
    )
    with pytest.raises(ValidationError):
        media.view(stage=stage, user=lecture["member_a"].user, connection="phone")
    stage.refresh_from_db()
    payload = media.publisher_payload(stage)
    assert payload["feed"] == media.feed_id("teacher-tab") and 0 < payload["feed"] < 2**53


def test_only_the_announced_publisher_sends_through_janus(with_janus, lecture):
    """A participant who joins Janus as a publisher with their own tokens is removed when the
    teacher's video is announced: publisher places cannot be taken from the teacher."""
    stage = lecture["room"]
    media.media_server_ready(stage)
    welcome = media.client_media(room=stage, stage=stage, user=lecture["member_a"].user, ready=True)
    browser = Browser(with_janus)
    rogue = browser.join(welcome["token"], stage.pk, welcome["room_token"])
    teacher = browser.join(welcome["token"], stage.pk, welcome["room_token"])

    def listed() -> set[int]:
        with client(with_janus).videoroom() as request:
            answer = request({"request": "listparticipants", "room": stage.pk})
        return {each["id"] for each in answer["participants"]}

    assert listed() == {rogue["id"], teacher["id"]}

    media.media_server_publisher_only(stage, teacher["id"])
    assert listed() == {teacher["id"]}

"""The live room's websocket with Janus (a real Janus on free ports): `welcome` tells each participant
to use Janus, with a token Janus accepts; the publisher's announcement names its Janus feed; ending
the class over the websocket removes the Janus room. The protocol is the mesh's otherwise."""

import json
from urllib.request import Request, urlopen

import pytest

from lms.classroom import janus, media
from tests.classroom.janus_server import start_janus
from tests.classroom.test_consumer import close_worker_thread_connections, join, make_room, until  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def with_janus(settings):
    server = start_janus()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    janus._known_rooms.clear()
    yield server
    janus._known_rooms.clear()
    server.stop()


def janus_session(server, token: str) -> dict:
    body = json.dumps({"janus": "create", "transaction": "t", "token": token}).encode()
    with urlopen(Request(server.url, data=body), timeout=5) as answer:
        return json.loads(answer.read())


async def test_welcome_sends_everyone_to_janus_and_the_end_removes_the_room(county, with_janus):
    room = await make_room(county)
    teacher, _ok, _code = await join(room["session"], room["teacher"])
    member, _ok, _code = await join(room["session"], room["member"])
    welcomes = [await until(ws, "welcome") for ws in (teacher, member)]
    for welcome in welcomes:
        assert welcome["media"]["mode"] == "janus"
        assert welcome["media"]["url"] == with_janus.public_url
        assert janus_session(with_janus, welcome["media"]["token"])["janus"] == "success"
    stage_id = welcomes[0]["media"]["room"]
    assert welcomes[1]["media"]["room"] == stage_id
    assert welcomes[0]["media"]["token"] != welcomes[1]["media"]["token"]  # each their own
    client = janus.Client(janus.instance_for(stage_id))
    assert client.room_exists(stage_id)

    await teacher.send_json_to({"type": "media.publish", "source": "camera"})
    announced = await until(member, "media.publisher")
    assert announced["publisher"]["feed"] == media.feed_id(welcomes[0]["peer"])
    await member.send_json_to({"type": "media.request"})  # the mesh's request is refused with Janus
    assert (await until(member, "error"))["message"]

    await teacher.send_json_to({"type": "class.end"})
    await until(member, "class.ended")
    assert not client.room_exists(stage_id)
    for ws in (teacher, member):
        await ws.disconnect()


async def test_without_janus_welcome_says_mesh(county, settings):
    settings.JANUS_URL = ""
    room = await make_room(county)
    member, _ok, _code = await join(room["session"], room["member"])
    assert (await until(member, "welcome"))["media"] == {"mode": "mesh"}
    await member.disconnect()

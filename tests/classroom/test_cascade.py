"""The city → township cascade (cascade.py) on two real Janus processes: a township's sub-classroom is
served by its township's instance when JANUS_INSTANCES says so, its participants get that server and
tokens only it accepts, and the city's publisher appears in the township's room as a remote
publisher fed from the city's Janus (a real browser publishes a fake camera to the city instance
and another page, on the township instance, receives it)."""

import json
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from lms.classroom import cascade, janus, media, services
from lms.classroom.models import LiveRoom
from tests.classroom.janus_server import instances_setting, start_janus_instances
from tests.classroom.test_janus import Browser
from tests.servers import free_port

pytestmark = pytest.mark.django_db

STATIC = Path(__file__).resolve().parents[2] / "lms" / "static"
SCRIPTS = [
    STATIC / "vendor" / "adapter.js",
    STATIC / "vendor" / "janus.js",
    Path(__file__).resolve().parents[2] / "lms" / "classroom" / "static" / "classroom" / "janus_media.js",
]


def configure(settings, city, township, served: list) -> None:
    for name, value in instances_setting(city, {"town-a": (township, served)}).items():
        setattr(settings, name, value)
    janus._known_rooms.clear()


@pytest.fixture(scope="module")
def two_janus():
    servers = start_janus_instances(2)
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def linked(big):
    """Township A's lecture is a sub-classroom of the city's big classroom."""
    room = services.sub_classroom_link(actor=big["staff_a"], big_session=big["big"], session=big["sub"])
    return {**big, "room": room, "stage": room.parent}


def test_the_township_instance_serves_the_sub_classrooms_it_lists(settings, linked):
    settings.JANUS_URL, settings.JANUS_API_SECRET = "http://127.0.0.1:9/janus", "s"
    town_a, stage, room = linked["town_a"], linked["stage"], linked["room"]
    for served in ([town_a.pk], [town_a.slug], [str(town_a.pk)]):
        settings.JANUS_INSTANCES = json.dumps(
            {"town-a": {"url": "http://127.0.0.1:10/janus", "townships": served}}
        )
        assert cascade.instance_for_room(room).name == "town-a", served
        assert cascade.instance_for_room(stage).name == janus.DEFAULT  # the city's room stays
        assert [each.name for each in cascade.instances_below(stage)] == ["town-a"]
        from django.core.cache import cache

        # Only this key: cache.clear() would empty the Redis database every test process shares
        # (another process's logins with it: CI saw a member page make one query more).
        cache.delete(f"classroom:cascade:school:{room.pk}")
    settings.JANUS_INSTANCES = json.dumps(
        {"town-b": {"url": "http://127.0.0.1:10/janus", "townships": [linked["town_b"].pk]}}
    )
    assert cascade.instance_for_room(room).name == janus.DEFAULT  # township A is nobody's
    assert cascade.instances_below(stage) == []
    settings.JANUS_INSTANCES = json.dumps({"town-a": {"public_url": "ws://x"}})  # no url
    with pytest.raises(ImproperlyConfigured):
        janus.instances()


def test_sub_classroom_participants_get_the_township_server_and_tokens_only_it_accepts(
    settings, two_janus, linked
):
    city, township = two_janus
    configure(settings, city, township, [linked["town_a"].pk])
    stage, room = linked["stage"], linked["room"]
    member = linked["member_a"].user
    assert media.media_server_ready(stage, room)
    assert janus.Client(janus.instances()["town-a"]).room_exists(stage.pk)

    here = media.client_media(room=room, stage=stage, user=member, ready=True)
    there = media.client_media(room=stage, stage=stage, user=member, ready=True)
    assert here["url"] == township.public_url and there["url"] == city.public_url
    assert here["room"] == there["room"] == stage.pk
    assert here["token"] != there["token"] and here["room_token"] != there["room_token"]

    # Each instance's session token opens that instance only.
    assert Browser(township).session(here["token"])["janus"] == "success"
    assert Browser(city).session(here["token"])["error"]["code"] == 403
    assert Browser(city).session(there["token"])["janus"] == "success"
    assert Browser(township).session(there["token"])["error"]["code"] == 403
    # And each instance's room token joins that instance's room only.
    joined = Browser(township).join(here["token"], stage.pk, here["room_token"])
    assert joined["videoroom"] == "joined"
    assert Browser(township).join(here["token"], stage.pk, there["room_token"])["error_code"] == 433

    # The class's end removes the room on both instances.
    services.room_end(actor=linked["org"], room=LiveRoom.objects.get(pk=stage.pk))
    janus.room_close(stage.pk)
    for instance in janus.instances().values():
        assert not janus.Client(instance).room_exists(stage.pk)


PUBLISHER_PAGE = """
async ({ server, token, room, roomToken, feed }) => {
  const video = document.createElement("video");
  video.muted = true; video.autoplay = true; video.playsInline = true;
  document.body.appendChild(video);
  const camera = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
  window.stage = new JanusStage({ server, token, room, roomToken, iceServers: [], video });
  window.stage.publish(feed, camera.getVideoTracks()[0], null);
}
"""

VIEWER_PAGE = """
async ({ server, token, room, roomToken, feed }) => {
  const video = document.createElement("video");
  video.id = "stage"; video.muted = true; video.autoplay = true; video.playsInline = true;
  document.body.appendChild(video);
  window.stage = new JanusStage({ server, token, room, roomToken, iceServers: [], video });
  window.stage.subscribe(feed);
}
"""


def open_page(browser, script: str, arguments: dict):
    page = browser.new_page()
    page.console = []
    page.on("console", lambda message: page.console.append(message.text))
    page.on("pageerror", lambda error: page.console.append(str(error)))
    page.route(
        "http://127.0.0.1:9/",
        lambda route: route.fulfill(body="<!doctype html><body></body>", content_type="text/html"),
    )
    page.goto("http://127.0.0.1:9/")  # an address Chromium trusts with the camera; nothing listens
    for path in SCRIPTS:
        page.add_script_tag(path=str(path))
    page.evaluate(script, arguments)
    return page


@pytest.fixture(scope="module")
def real_time_janus():
    """Two Janus at the real time: Chromium's DTLS certificate is checked on Janus's clock."""
    servers = start_janus_instances(2, follow_test_clock=False)
    yield servers
    for server in servers:
        server.stop()


# Chromium's fake camera, and no local-network checks for the blank page (Playwright serves it, so
# Chromium cannot tell it is local) talking to Janus on 127.0.0.1.
CAMERA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns,LocalNetworkAccessChecks",
]


@pytest.fixture(scope="module")
def camera_browser():
    from tests.e2e.conftest import CHROMIUM_ARGS, launched

    yield from launched([*CHROMIUM_ARGS, *CAMERA_ARGS])


@pytest.mark.browser
def test_the_city_publisher_is_relayed_into_the_township_room(
    settings, real_time_janus, camera_browser, linked
):
    city, township = real_time_janus
    configure(settings, city, township, [linked["town_a"].slug])
    stage, room = linked["stage"], linked["room"]
    instance = janus.instances()["town-a"]
    assert media.media_server_ready(stage, room)
    feed = media.feed_id("teacher-connection")
    expires = int(city.now()) + 3600

    def tokens(server, name):
        chosen = janus.instances()[name]
        return {
            "server": server.public_url,
            "token": janus.signed_token(expires, user_id=1, secret=chosen.token_secret),
            "room": stage.pk,
            "roomToken": janus.room_token(stage.pk, chosen),
            "feed": feed,
        }

    # Before the publisher sends there is nothing to relay yet.
    assert cascade.sync(stage.pk, instance, feed) is False
    publisher = open_page(camera_browser, PUBLISHER_PAGE, tokens(city, janus.DEFAULT))
    city_client = janus.Client(janus.instance_for(stage.pk))
    assert cascade.follow(stage.pk, [instance], feed, seconds=60), (
        publisher.console[-20:],
        city_client.participants(stage.pk),
        city.log.read_text(errors="replace")[-3000:],
    )
    listed = janus.Client(instance).participants(stage.pk)
    assert [(each["id"], each["publisher"]) for each in listed] == [(feed, True)]
    assert cascade.sync(stage.pk, instance, feed)  # idempotent: nothing added twice
    # The public helpers (live HLS's too): a plain RTP forward of the publisher's video, and its end.
    streams = city_client.publisher_streams(stage.pk, feed)
    assert [each["type"] for each in streams] == ["video"]
    forwarders = city_client.rtp_forward(
        stage.pk, feed, "127.0.0.1", [{"mid": streams[0]["mid"], "port": free_port(), "pt": 96}]
    )
    assert len(forwarders) == 1 and forwarders[0]["stream_id"]
    assert city_client.stop_rtp_forward(stage.pk, feed, forwarders[0]["stream_id"])
    assert len(janus.Client(instance).participants(stage.pk)) == 1

    # A page on the township's server receives the city's camera from the township's Janus.
    viewer = open_page(camera_browser, VIEWER_PAGE, tokens(township, "town-a"))
    viewer.wait_for_function("() => document.getElementById('stage').videoWidth > 0", timeout=60_000)
    before = viewer.evaluate("document.getElementById('stage').currentTime")
    viewer.wait_for_function(
        f"() => document.getElementById('stage').currentTime > {before} + 0.5", timeout=30_000
    )
    assert viewer.evaluate("document.getElementById('stage').videoWidth") == 320

    # The publisher stops: the township's room loses the relayed publisher.
    publisher.evaluate("window.stage.destroy()")
    assert cascade.follow(stage.pk, [instance], None, seconds=30)
    assert not any(each["publisher"] for each in janus.Client(instance).participants(stage.pk))
    janus.room_close(stage.pk)
    assert not janus.Client(instance).room_exists(stage.pk)
    for page in (publisher, viewer):
        page.close()

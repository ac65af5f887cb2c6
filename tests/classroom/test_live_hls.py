"""Live HLS (lms/classroom/live_hls.py) without a browser: who watches which way, the signed URLs
nginx and the development view check alike (without a database query), the page's offer and the
websocket's `welcome` (with a real Janus)."""

import base64
import hashlib
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from lms.classroom import live_hls, services
from lms.classroom.models import LiveRoom, PresenceInterval
from tests import factories
from tests.classroom.test_consumer import join, make_room, until
from tests.classroom.test_janus_welcome import with_janus  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hls(settings, tmp_path):
    settings.JANUS_URL = "http://127.0.0.1:9/janus"  # Janus mode (nothing here calls it)
    settings.LIVE_HLS_ROOT = tmp_path
    settings.LIVE_HLS_SECRET = "s3cret"
    settings.LIVE_HLS_MIN_VIEWERS = 3
    return tmp_path


def test_the_signature_is_nginx_secure_link_md5(hls):
    folder = live_hls.room_folder(7)
    digest = hashlib.md5(f"1800000000{folder} s3cret".encode()).digest()
    assert live_hls.signature(1800000000, folder) == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert len(folder) == 32 and folder != live_hls.room_folder(8)


def test_a_link_is_valid_only_signed_for_its_folder_and_unexpired(hls):
    folder, now = live_hls.room_folder(7), time.time()
    later = int(now) + 600
    good = live_hls.signature(later, folder)
    assert live_hls.link_valid(good, str(later), folder, now=now)
    assert not live_hls.link_valid(good, str(later), folder, now=later + 1)  # expired
    assert not live_hls.link_valid(good, str(later + 1), folder, now=now)  # expiry changed
    assert not live_hls.link_valid(good, str(later), live_hls.room_folder(8), now=now)  # another room
    assert not live_hls.link_valid(good[:-1] + "A", str(later), folder, now=now)
    assert not live_hls.link_valid(good, "-1", folder, now=now)
    assert not live_hls.link_valid(good, str(later), "../etc", now=now)


def test_the_development_view_serves_signed_files_without_a_query_and_refuses_the_rest(
    hls, django_assert_num_queries
):
    folder = live_hls.room_folder(7)
    (hls / folder).mkdir()
    (hls / folder / "index.m3u8").write_text("#EXTM3U\nseg-4.ts\n")
    (hls / folder / "seg-4.ts").write_bytes(b"\x47" + b"\0" * 187)
    expires = int(time.time()) + 600
    base = f"/live-hls/{live_hls.signature(expires, folder)}/{expires}/{folder}/"
    anonymous = Client()
    with django_assert_num_queries(0):
        playlist = anonymous.get(base + "index.m3u8")
        segment = anonymous.get(base + "seg-4.ts")
    assert playlist.status_code == 200 and playlist["Content-Type"] == "application/vnd.apple.mpegurl"
    assert b"".join(playlist.streaming_content).startswith(b"#EXTM3U")
    assert segment.status_code == 200 and b"".join(segment.streaming_content)[0] == 0x47
    assert anonymous.get(f"/live-hls/x/{expires}/{folder}/index.m3u8").status_code == 403
    past = int(time.time()) - 1
    assert (
        anonymous.get(f"/live-hls/{live_hls.signature(past, folder)}/{past}/{folder}/seg-4.ts").status_code
        == 403
    )
    other = live_hls.room_folder(8)
    assert (
        anonymous.get(
            f"/live-hls/{live_hls.signature(expires, folder)}/{expires}/{other}/seg-4.ts"
        ).status_code
        == 403
    )
    assert anonymous.get(base + "seg-5.ts").status_code == 404
    assert anonymous.get(base + ".hidden").status_code == 404


def test_screens_and_staff_stay_on_webrtc_members_watch_hls_from_the_threshold(hls, settings):
    for role in ("teacher", "staff", "terminal"):
        assert live_hls.viewer_mode(role=role, audience_size=500) == live_hls.WEBRTC
    assert live_hls.viewer_mode(role="member", audience_size=2) == live_hls.WEBRTC
    assert live_hls.viewer_mode(role="member", audience_size=3) == live_hls.HLS
    settings.LIVE_HLS_MIN_VIEWERS = 0  # turned off
    assert live_hls.viewer_mode(role="member", audience_size=500) == live_hls.WEBRTC
    settings.LIVE_HLS_MIN_VIEWERS, settings.JANUS_URL = 3, ""  # no Janus, no HLS
    assert live_hls.viewer_mode(role="member", audience_size=500) == live_hls.WEBRTC


def present(room: LiveRoom, count: int) -> None:
    now = timezone.now()
    PresenceInterval.objects.bulk_create(
        PresenceInterval(
            room=room,
            user=factories.UserFactory(),
            connection=f"c{n}",
            role="member",
            state="present",
            started_at=now,
            seen_at=now,
        )
        for n in range(count)
    )


@pytest.mark.parametrize("people", [1, 40])
def test_the_offer_follows_the_room_size_at_a_constant_cost(
    hls, county, people, django_assert_max_num_queries
):
    room = make_room.func(county)  # the test's own thread: it is async-wrapped in test_consumer
    stage, _role = services.room_enter(user=room["teacher"], session=room["session"])
    present(stage, people)
    cache.delete(f"live_hls:audience:{stage.pk}")  # not cache.clear(): Redis is every test process's
    with django_assert_max_num_queries(2):  # the class's end and the audience, whatever the size
        offer = live_hls.client_hls(room=stage, stage=stage, role="member")
    assert offer["preferred"] is (people + 1 >= 3)  # with the one entering: 2 or 41 people
    sig, expires, folder, name = offer["url"].removeprefix("/live-hls/").split("/")
    assert folder == live_hls.room_folder(stage.pk) and name == "index.m3u8"
    assert live_hls.link_valid(sig, expires, folder)
    # The URL lasts the class (ends in 55 minutes) and the sweep's grace.
    assert int(expires) >= (room["session"].ends_at + timedelta(minutes=60)).timestamp()
    assert live_hls.client_hls(room=stage, stage=stage, role="terminal") is None


def test_the_page_offers_hls_to_members_only_and_refuses_other_townships(hls, county):
    room = make_room.func(county)  # the test's own thread: it is async-wrapped in test_consumer
    session = room["session"]
    member, other, staff = Client(), Client(), Client()
    member.force_login(room["member"])
    other.force_login(county["member_b"].user)
    staff.force_login(county["staff_a"])
    page = member.get(f"/classroom/{session.pk}/").content.decode()
    assert 'id="live-hls"' in page and "hls.min.js" in page
    url = page.split('data-url="', 1)[1].split('"', 1)[0]
    sig, expires, folder, _name = url.removeprefix("/live-hls/").split("/")
    assert live_hls.link_valid(sig, expires, folder)
    refused = other.get(f"/classroom/{session.pk}/")
    assert refused.status_code == 403 and b"live-hls" not in refused.content
    staff_page = staff.get(f"/classroom/{session.pk}/")
    assert staff_page.status_code == 200 and b'id="live-hls"' not in staff_page.content


@pytest.mark.django_db(transaction=True)
async def test_welcome_offers_members_the_hls_url_and_not_the_teacher(county, with_janus, settings, tmp_path):  # noqa: F811
    settings.LIVE_HLS_ROOT, settings.LIVE_HLS_MIN_VIEWERS = tmp_path, 1
    room = await make_room(county)
    teacher, _ok, _code = await join(room["session"], room["teacher"])
    member, _ok, _code = await join(room["session"], room["member"])
    teacher_welcome, member_welcome = [await until(ws, "welcome") for ws in (teacher, member)]
    assert "hls" not in teacher_welcome["media"]
    offer = member_welcome["media"]["hls"]
    assert member_welcome["media"]["mode"] == "janus"  # WebRTC stays possible: the member may switch
    assert offer["preferred"] is True
    _sig, expires, folder, _name = offer["url"].removeprefix("/live-hls/").split("/")
    assert (
        folder == live_hls.room_folder(member_welcome["media"]["room"]) and int(expires) == offer["expires"]
    )
    for ws in (teacher, member):
        await ws.disconnect()

"""A class held through a real Janus is recorded, and after the end the worker turns the recording into
the session's video on demand: in real browsers (a fake camera) on a real ASGI server, the teacher
publishes for about 20 seconds and ends the class; the session then has an HLS video whose ffprobe
duration is within 2 s of the time the teacher was on air, playable through its signed URL."""

import json
import subprocess
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from lms.scheduling import services as scheduling
from lms.scheduling.models import Delivery, SessionKind
from lms.vod import selectors, storage
from lms.vod.models import Video, VideoOrigin, VideoStatus
from tests import factories
from tests.e2e.test_live_room import logged_in, media_chromium  # noqa: F401 (a fixture)
from tests.e2e.test_live_room_janus import janus_server, real_clock  # noqa: F401 (fixtures)
from tests.servers import free_port, start_server
from tests.services import need_postgres
from tests.vod.conftest import need_ffmpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ON_AIR_SECONDS = 20


@pytest.fixture
def server(janus_server, monkeypatch, settings):  # noqa: F811
    """uvicorn with this Janus, and this test's recordings and video folders (its tasks run at once,
    in the server, after the class ends)."""
    need_postgres()
    need_ffmpeg()
    settings.JANUS_RECORDINGS_DIR.mkdir(parents=True, exist_ok=True)
    env = janus_server.settings() | {
        "VOD_ROOT": str(settings.VOD_ROOT),
        "JANUS_RECORDINGS_DIR": str(settings.JANUS_RECORDINGS_DIR),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    port = free_port()
    process = start_server(port)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def lecture(real_clock, county):  # noqa: F811
    teacher_user = factories.UserFactory(username="teacher1", first_name="张老师", password="demo")
    member = factories.MemberFactory(branch=county["branch_a"])
    training_class = factories.training_class(
        county["town_a"],
        timezone.localdate(),
        teacher=factories.TeacherFactory(user=teacher_user),
        point=county["point_a"],
        publish=True,
    )
    scheduling.enrolment_add(actor=county["org"], training_class=training_class, members=[member])
    session = training_class.sessions.get(kind=SessionKind.LEADER_LECTURE)
    now = timezone.now()
    type(session).objects.filter(pk=session.pk).update(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=55), delivery=Delivery.LIVE
    )
    session.member = member
    return session


def ffprobe_duration(target: str) -> float:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", target],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return float(json.loads(done.stdout)["format"]["duration"])


def test_a_janus_class_becomes_the_sessions_video(media_chromium, janus_server, server, lecture, settings):  # noqa: F811
    context = media_chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    logged_in(context, server, "teacher1")
    teacher = context.new_page()
    teacher.goto(f"{server}/classroom/{lecture.pk}/")
    teacher.get_by_test_id("status").filter(has_text="✓").wait_for()
    teacher.get_by_test_id("publish-camera").click()
    teacher.get_by_test_id("stage-source").filter(has_text="张老师").wait_for()
    on_air = time.monotonic()
    teacher.wait_for_timeout(ON_AIR_SECONDS * 1000)
    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.get_by_test_id("end-class").click()
    class_length = time.monotonic() - on_air
    teacher.get_by_test_id("status").filter(has_text="结束").wait_for()
    context.close()

    # The server ends the room, Janus closes the files, the server's worker (immediate here) transcodes.
    deadline = time.monotonic() + 600
    video = None
    while time.monotonic() < deadline:
        video = Video.objects.filter(session=lecture).first()
        if video and video.status in (VideoStatus.READY, VideoStatus.FAILED):
            break
        time.sleep(1)
    assert video is not None, "no video for the session (was the room recorded?)"
    assert video.status == VideoStatus.READY, video.error
    assert video.origin == VideoOrigin.RECORDING and video.school_id == lecture.training_class.school_id
    assert video.has_poster and video.renditions
    rendition = storage.output_path(video.folder) / video.renditions[-1]["name"] / "index.m3u8"
    assert abs(ffprobe_duration(str(rendition)) - class_length) <= 2, (class_length, video.duration)
    assert not (settings.JANUS_RECORDINGS_DIR / str(lecture.live_room.pk)).exists()  # moved under VOD_ROOT

    # A member of the class plays it through the server, by its signed URL.
    url = server + selectors.playlist_url(video, lecture.member.user)
    assert abs(ffprobe_duration(url) - class_length) <= 2

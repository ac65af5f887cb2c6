"""Live HLS for phones, end to end: a real Janus, the teacher's browser publishing its fake camera, the
live HLS supervisor (`manage.py live_hls`, a real process) running a real ffmpeg, a real uvicorn
serving the files as in development, and a phone page (390 px) playing the stream with hls.js while
its chat still works; a killed ffmpeg is started again; nothing is served without a valid signature."""

import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
from django.conf import settings
from django.db import connection

from lms.classroom import janus, live_hls
from lms.classroom.media import feed_id
from lms.classroom.models import LiveRoom
from tests.clock import shift_env
from tests.e2e.test_live_room import logged_in, media_chromium, playing  # noqa: F401 (a fixture)
from tests.e2e.test_live_room_janus import janus_server, real_clock  # noqa: F401 (fixtures)
from tests.e2e.test_live_room_janus import lecture as janus_lecture  # noqa: F401 (a fixture)
from tests.servers import ROOT, free_port, start_server
from tests.services import need, need_postgres

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def need_ffmpeg() -> None:
    need(os.path.exists("/usr/bin/ffmpeg"), "ffmpeg is not installed (apt-get install ffmpeg)")


@pytest.fixture
def hls_root(tmp_path, settings, monkeypatch):
    root = tmp_path / "live-hls"
    settings.LIVE_HLS_ROOT = root
    settings.LIVE_HLS_MIN_VIEWERS = 1  # any room is "big": members start on HLS
    monkeypatch.setenv("LIVE_HLS_ROOT", str(root))
    monkeypatch.setenv("LIVE_HLS_MIN_VIEWERS", "1")
    return root


def django_env() -> dict:
    """The environment of a manage.py process on this test's database and clock (as tests/servers.py)."""
    db = connection.settings_dict
    env = {name: value for name, value in os.environ.items() if name != "PYTEST_XDIST_WORKER"}
    return env | {
        "DJANGO_SETTINGS_MODULE": "lms.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL or "",
        "CACHE_KEY_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", "lms"),
        **shift_env(),
    }


@pytest.fixture
def supervisor(janus_server, hls_root, monkeypatch, tmp_path):  # noqa: F811 (the imported fixture)
    need_ffmpeg()
    need_postgres()
    for name, value in janus_server.settings().items():
        monkeypatch.setenv(name, value)
    log = open(tmp_path / "supervisor.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/python"),
            "manage.py",
            "live_hls",
            "--interval",
            "0.5",
            "--stale-seconds",
            "15",
        ],
        cwd=ROOT,
        env=django_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log = tmp_path / "supervisor.log"
    yield process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    log.close()


@pytest.fixture
def server(janus_server, hls_root, monkeypatch):  # noqa: F811 (the imported fixture)
    need_postgres()
    for name, value in janus_server.settings().items():
        monkeypatch.setenv(name, value)
    port = free_port()
    process = start_server(port)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def wait_for(condition, seconds: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.25)
    note = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    for ffmpeg_log in log.parent.glob("live-hls/.*.log") if log else ():
        note += f"\nffmpeg: {ffmpeg_log.read_text(errors='replace')[-2000:]}"
    raise AssertionError(f"{what} within {seconds} s\n{note}")


def media_sequence(playlist: Path) -> int | None:
    try:
        text = playlist.read_text()
    except FileNotFoundError:
        return None
    segments = [line for line in text.splitlines() if line.endswith(".ts")]
    return int(segments[-1].removeprefix("seg-").removesuffix(".ts")) if segments else None


def ffmpeg_pids(folder: Path) -> list[int]:
    """The ffmpeg processes writing into the room's folder (started by this test's supervisor)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            command
            and command[0].endswith(b"ffmpeg")
            and any(str(folder).encode() in part for part in command)
        ):
            found.append(int(entry.name))
    return found


def status(url: str) -> int:
    try:
        with urlopen(url, timeout=10) as answer:
            return answer.status
    except HTTPError as error:
        return error.code


def test_a_phone_watches_the_live_hls_while_chatting_and_a_killed_ffmpeg_comes_back(
    media_chromium,  # noqa: F811 (the imported fixture)
    janus_server,  # noqa: F811
    server,
    supervisor,
    janus_lecture,  # noqa: F811
):
    teacher_context = media_chromium.new_context(viewport={"width": 1280, "height": 900})
    teacher_context.set_default_timeout(30_000)
    logged_in(teacher_context, server, "teacher1")
    teacher = teacher_context.new_page()
    teacher.goto(f"{server}/classroom/{janus_lecture.pk}/")
    teacher.get_by_test_id("status").filter(has_text="✓").wait_for()
    stage_id = LiveRoom.objects.get(session=janus_lecture).pk  # made when the first person entered
    folder = Path(settings.LIVE_HLS_ROOT) / live_hls.room_folder(stage_id)
    playlist = folder / live_hls.PLAYLIST
    assert teacher.get_by_test_id("video-mode").count() == 0  # the teacher stays on WebRTC
    teacher.get_by_test_id("publish-camera").click()
    teacher.get_by_test_id("stage-source").filter(has_text="张老师").wait_for()

    client = janus.Client(janus.instance_for(stage_id))

    def publishers():
        with client.videoroom() as request:
            listed = request({"request": "listparticipants", "room": stage_id})["participants"]
        return [each["id"] for each in listed if each.get("publisher")]

    in_janus = wait_for(publishers, 60, "the teacher does not publish in Janus", janus_server.log)
    connection = LiveRoom.objects.get(pk=stage_id).publisher_connection
    assert in_janus == [feed_id(connection)], (in_janus, connection)

    # The supervisor forwards the teacher's feed to ffmpeg: the playlist appears and advances.
    first = wait_for(lambda: media_sequence(playlist), 90, "no live HLS playlist", supervisor.log)
    wait_for(
        lambda: (media_sequence(playlist) or 0) >= first + 2,
        60,
        "the playlist did not advance",
        supervisor.log,
    )

    phone_context = media_chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    phone_context.set_default_timeout(60_000)
    logged_in(phone_context, server, "viewer0")
    phone = phone_context.new_page()
    phone.goto(f"{server}/classroom/{janus_lecture.pk}/")
    phone.get_by_test_id("status").filter(has_text="✓").wait_for()
    badge = phone.get_by_test_id("video-mode")
    assert badge.get_attribute("data-mode") == "hls"
    assert "延迟" in badge.inner_text()
    playing(phone)  # frames, and currentTime advancing
    assert phone.evaluate(
        "(() => { const v = document.querySelector('[data-testid=stage-video]');"
        " return v.srcObject === null && v.currentSrc.startsWith('blob:'); })()"
    ), "the phone plays through hls.js (MediaSource), not WebRTC"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no horizontal scroll

    # The websocket is the same: chat goes both ways.
    phone.locator("#chat-text").fill("HLS 也能发言")
    phone.locator("#chat-form button[type=submit]").click()
    teacher.get_by_test_id("chat-message").filter(has_text="HLS 也能发言").wait_for()

    # Nothing without the page's signature: tampered, for another folder, expired.
    url = server + phone.locator("#live-hls").get_attribute("data-url")
    assert status(url) == 200
    segment = (
        url.rsplit("/", 1)[0]
        + "/"
        + next(line for line in playlist.read_text().splitlines() if line.endswith(".ts"))
    )
    assert status(segment) == 200
    sig, expires, room_folder, name = url.removeprefix(f"{server}/live-hls/").split("/")
    assert status(f"{server}/live-hls/{sig[:-2]}AA/{expires}/{room_folder}/{name}") == 403
    other = live_hls.room_folder(stage_id + 1)
    assert status(f"{server}/live-hls/{sig}/{expires}/{other}/{name}") == 403
    past = int(time.time()) - 60
    assert (
        status(f"{server}/live-hls/{live_hls.signature(past, room_folder)}/{past}/{room_folder}/{name}")
        == 403
    )
    assert status(f"{server}/live-hls/{sig}/{expires}/{room_folder}/../../etc") in (403, 404)

    # ffmpeg crashes: the supervisor starts another, and the playlist goes on.
    pids = wait_for(lambda: ffmpeg_pids(folder), 10, "no ffmpeg")
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    before = media_sequence(playlist)
    restarted = wait_for(
        lambda: [pid for pid in ffmpeg_pids(folder) if pid not in pids],
        60,
        "ffmpeg not restarted",
        supervisor.log,
    )
    assert restarted
    wait_for(
        lambda: (media_sequence(playlist) or 0) >= before + 2,
        90,
        "no segment after the restart",
        supervisor.log,
    )
    playing(phone)  # the phone goes on playing

    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.get_by_test_id("end-class").click()
    # The class is over: ffmpeg stops.
    wait_for(lambda: not ffmpeg_pids(folder), 30, "ffmpeg still running after the end", supervisor.log)
    teacher_context.close()
    phone_context.close()

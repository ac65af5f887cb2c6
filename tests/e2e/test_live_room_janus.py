"""A lecture through the Janus media server, in real browsers on a real ASGI server and a real Janus:
the teacher's browser uploads its (fake) camera once, to Janus, and more members' pages than
browser-to-browser video allows receive it from Janus; switching to the screen reaches them without
a new connection; ending the class removes the Janus room."""

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from lms.classroom import janus
from lms.scheduling import services as scheduling
from lms.scheduling.models import Delivery, SessionKind
from tests import factories
from tests.classroom.janus_server import start_janus
from tests.e2e.test_live_room import logged_in, media_chromium, playing  # noqa: F401 (a fixture)
from tests.servers import free_port, start_server
from tests.services import need_postgres

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# More than CLASSROOM_MESH_VIEWERS (8). Each is a browser page decoding the video on this machine.
VIEWERS = int(os.environ.get("JANUS_E2E_VIEWERS", "10"))
SCREENSHOTS = os.environ.get("JANUS_E2E_SCREENSHOTS")  # a folder for the pages' screenshots


def janus_cpu_share(pid: int, seconds: float) -> float:
    """Janus's CPU time over `seconds` of wall time, as a share of one core."""

    def ticks() -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    before, started = ticks(), time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - started
    return (ticks() - before) / os.sysconf("SC_CLK_TCK") / elapsed


@pytest.fixture
def real_clock(frozen_clock):
    """This test runs at the real time: Chromium and Janus check each other's DTLS certificates (a
    browser's lasts 30 days) and Janus the tokens the server signs, each on its own clock, so the
    server's clock (the test's) must be theirs. Nothing here depends on the hour."""
    frozen_clock.move_to(datetime.fromtimestamp(time_machine.escape_hatch.time.time(), tz=UTC))


@pytest.fixture
def janus_server(real_clock, settings):
    server = start_janus()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    yield server
    server.stop()


@pytest.fixture
def server(janus_server, monkeypatch):
    """uvicorn with JANUS_* in its environment: every room's video goes through this Janus."""
    need_postgres()
    for name, value in janus_server.settings().items():
        monkeypatch.setenv(name, value)
    port = free_port()
    process = start_server(port)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def lecture(real_clock, county):
    teacher_user = factories.UserFactory(username="teacher1", first_name="张老师", password="demo")
    members = [
        factories.MemberFactory(
            user=factories.UserFactory(username=f"viewer{n}", first_name=f"学员{n}", password="demo"),
            name=f"学员{n}",
            branch=county["branch_a"],
        )
        for n in range(VIEWERS)
    ]
    training_class = factories.training_class(
        county["town_a"],
        timezone.localdate(),
        teacher=factories.TeacherFactory(user=teacher_user),
        point=county["point_a"],
        publish=True,
    )
    scheduling.enrolment_add(actor=county["org"], training_class=training_class, members=members)
    session = training_class.sessions.get(kind=SessionKind.LEADER_LECTURE)
    now = timezone.now()
    type(session).objects.filter(pk=session.pk).update(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=55), delivery=Delivery.LIVE
    )
    return session


def test_the_teacher_publishes_through_janus_and_more_viewers_than_the_mesh_allows_receive(
    media_chromium,  # noqa: F811 (the imported fixture)
    janus_server,
    server,
    lecture,
):
    teacher_context = media_chromium.new_context(viewport={"width": 1280, "height": 900})
    # As the viewers': on CI's two cores, beside the fault tests' private PostgreSQL and servers, the
    # teacher's first offer through Janus once took longer than 30 s.
    teacher_context.set_default_timeout(60_000)
    logged_in(teacher_context, server, "teacher1")
    teacher = teacher_context.new_page()
    console = []
    teacher.on("console", lambda message: console.append(f"teacher: {message.text}"))
    teacher.goto(f"{server}/classroom/{lecture.pk}/")
    teacher.get_by_test_id("status").filter(has_text="✓").wait_for()
    teacher.get_by_test_id("publish-camera").click()
    try:
        teacher.get_by_test_id("stage-source").filter(has_text="张老师").wait_for()
    except Exception as error:  # say what the page and Janus saw
        note = teacher.get_by_test_id("stage-note").inner_text()
        log = janus_server.log.read_text(errors="replace")[-3000:]
        raise AssertionError(f"not published: {note!r}\nconsole: {console[-20:]}\njanus: {log}") from error

    contexts, viewers = [], []
    for n in range(VIEWERS):
        context = media_chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        context.set_default_timeout(60_000)
        logged_in(context, server, f"viewer{n}")
        page = context.new_page()
        page.on("console", lambda message, n=n: console.append(f"{n}: {message.text}"))
        page.goto(f"{server}/classroom/{lecture.pk}/")
        contexts.append(context)
        viewers.append(page)
    for page in viewers:
        try:
            width, height = playing(page)
        except Exception as error:  # say what the page and Janus saw
            note = page.get_by_test_id("stage-note").inner_text()
            log = janus_server.log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"no video: {note!r}\nconsole: {console[-20:]}\njanus: {log}") from error
        assert width > 0 and height > 0
        assert page.get_by_test_id("room-error").inner_text() == ""
    if SCREENSHOTS:  # to look at the pages
        teacher.screenshot(path=f"{SCREENSHOTS}/janus-teacher.png", full_page=True)
        viewers[0].screenshot(path=f"{SCREENSHOTS}/janus-viewer.png", full_page=True)
    cpu = janus_cpu_share(janus_server.process.pid, seconds=5)
    print(f"\nJanus with {VIEWERS} subscribers: {cpu:.0%} of one core")  # the report's figure (pytest -s)
    # Janus, not the teacher's browser, serves them: the teacher's page holds one connection (to Janus).
    assert teacher.evaluate("document.querySelector('[data-testid=stage-video]').srcObject !== null")
    client = janus.Client(janus.instance_for(0))
    with client.videoroom() as request:
        listed = request({"request": "listparticipants", "room": lecture.live_room.pk})
    publishers = [p for p in listed["participants"] if p.get("publisher")]
    assert len(publishers) == 1

    # The teacher shares the screen: the same connections carry the new source (16:9, not 4:3).
    teacher.get_by_test_id("publish-screen").click()
    for page in viewers[:3]:
        page.wait_for_function(
            "() => { const v = document.querySelector('[data-testid=stage-video]');"
            " return v.videoWidth / v.videoHeight > 1.6 }"
        )
        playing(page)

    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.get_by_test_id("end-class").click()
    viewers[0].get_by_test_id("status").filter(has_text="结束").wait_for()
    for _ in range(50):
        if not client.room_exists(lecture.live_room.pk):
            break
        teacher.wait_for_timeout(100)
    assert not client.room_exists(lecture.live_room.pk)
    for context in (teacher_context, *contexts):
        context.close()

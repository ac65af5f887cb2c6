"""The city → township cascade in real browsers on a real ASGI server and two real Janus processes: the
city's teacher publishes the (fake) camera to the city's Janus from the big classroom's page; a
township member's page of the linked sub-classroom loads the township's Janus (its server, per
JANUS_INSTANCES), never the city's, and plays the city's stream relayed there."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lms.classroom import janus
from lms.classroom import services as classroom
from lms.scheduling import services as scheduling
from lms.scheduling.models import Delivery, SessionKind
from tests import factories
from tests.classroom.janus_server import instances_setting, start_janus_instances
from tests.e2e.test_live_room import logged_in, media_chromium, playing  # noqa: F401 (a fixture)
from tests.e2e.test_live_room_janus import real_clock  # noqa: F401 (a fixture)
from tests.servers import free_port, start_server
from tests.services import need_postgres

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_janus(real_clock):  # noqa: F811 (the imported fixture)
    servers = start_janus_instances(2, follow_test_clock=False)
    yield servers
    for server in servers:
        server.stop()


def live_now(session):
    now = timezone.now()
    type(session).objects.filter(pk=session.pk).update(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=55), delivery=Delivery.LIVE
    )
    session.refresh_from_db()
    return session


@pytest.fixture
def lectures(real_clock, county):  # noqa: F811 (the imported fixture)
    """The city's big-classroom lecture and township A's lecture following it, both live now."""
    teacher_user = factories.UserFactory(username="teacher1", first_name="张老师", password="demo")
    big_class = factories.training_class(
        county["city"],
        timezone.localdate(),
        teacher=factories.TeacherFactory(user=teacher_user),
        point=county["point_b"],  # township A's point is its own class's
        publish=True,
    )
    member = factories.MemberFactory(
        user=factories.UserFactory(username="town-member", first_name="王建国", password="demo"),
        name="王建国",
        branch=county["branch_a"],
    )
    town_class = factories.training_class(
        county["town_a"],
        timezone.localdate(),
        teacher=factories.TeacherFactory(),
        point=county["point_a"],
        publish=True,
    )
    scheduling.enrolment_add(actor=county["org"], training_class=town_class, members=[member])
    big = live_now(big_class.sessions.get(kind=SessionKind.LEADER_LECTURE))
    sub = live_now(town_class.sessions.get(kind=SessionKind.LEADER_LECTURE))
    classroom.sub_classroom_link(actor=county["org"], big_session=big, session=sub)
    return {"big": big, "sub": sub, "town_a": county["town_a"]}


@pytest.fixture
def server(two_janus, lectures, settings, monkeypatch):
    """uvicorn whose default Janus is the city's and whose JANUS_INSTANCES gives township A its own."""
    need_postgres()
    city, township = two_janus
    configured = instances_setting(city, {"town-a": (township, [lectures["town_a"].slug])})
    for name, value in configured.items():
        monkeypatch.setenv(name, value)
        setattr(settings, name, value)
    port = free_port()
    process = start_server(port)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def test_a_township_page_plays_the_city_lecture_from_the_township_janus(
    media_chromium,  # noqa: F811 (the imported fixture)
    two_janus,
    server,
    lectures,
):
    city, township = two_janus
    teacher_context = media_chromium.new_context(viewport={"width": 1280, "height": 900})
    teacher_context.set_default_timeout(30_000)
    logged_in(teacher_context, server, "teacher1")
    teacher = teacher_context.new_page()
    teacher.goto(f"{server}/classroom/{lectures['big'].pk}/")
    teacher.get_by_test_id("status").filter(has_text="✓").wait_for()
    teacher.get_by_test_id("publish-camera").click()
    teacher.get_by_test_id("stage-source").filter(has_text="张老师").wait_for()

    phone_context = media_chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone_context.set_default_timeout(60_000)
    logged_in(phone_context, server, "town-member")
    phone = phone_context.new_page()
    sockets = []
    phone.on("websocket", lambda socket: sockets.append(socket.url))
    console = []
    phone.on("console", lambda message: console.append(message.text))
    phone.goto(f"{server}/classroom/{lectures['sub'].pk}/")
    try:
        width, height = playing(phone)
    except Exception as error:  # say what the page and the township's Janus saw
        log = township.log.read_text(errors="replace")[-3000:]
        raise AssertionError(f"no video\nconsole: {console[-20:]}\ntownship janus: {log}") from error
    assert width > 0 and height > 0
    # The township page's video came from the township's Janus, not the city's.
    assert any(url.startswith(township.public_url) for url in sockets), sockets
    assert not any(url.startswith(city.public_url) for url in sockets), sockets
    stage_id = lectures["big"].live_room.pk
    instance = janus.instances()["town-a"]
    relayed = janus.Client(instance).participants(stage_id)
    assert [each.get("remote") for each in relayed if each.get("publisher")] == [True]

    # The class ends: the room is gone from both instances.
    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.get_by_test_id("end-class").click()
    phone.get_by_test_id("status").filter(has_text="结束").wait_for()
    for each in (janus.instances()[janus.DEFAULT], instance):
        for _ in range(50):
            if not janus.Client(each).room_exists(stage_id):
                break
            teacher.wait_for_timeout(100)
        assert not janus.Client(each).room_exists(stage_id), each.name
    for context in (teacher_context, phone_context):
        context.close()

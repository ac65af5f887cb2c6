"""连线 in real browsers on a real ASGI server and the city → township cascade of two real Janus
processes: the city teacher's page shows 连线 next to township A's meeting-room screen in the
participants list; clicking it makes the screen's page send its (fake) camera to the city's Janus
(it otherwise receives from the township's) and say 正在连线, and a member's page of the big
classroom plays the screen's video; 收回 puts the teacher's camera back and the screen stops."""

import pytest

from lms.classroom import janus, media
from lms.classroom import services as classroom
from lms.classroom.models import LiveRoom
from lms.scheduling import services as scheduling
from tests import factories
from tests.e2e.test_live_room import logged_in, media_chromium, playing  # noqa: F401 (a fixture)
from tests.e2e.test_live_room_janus import real_clock  # noqa: F401 (a fixture)
from tests.e2e.test_live_room_janus_cascade import lectures, server, two_janus  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN = "甲镇会议室大屏"


@pytest.fixture
def people(lectures, county):  # noqa: F811 (the imported fixture)
    """A member of the big classroom and township A's meeting-room screen (a terminal)."""
    member = factories.MemberFactory(
        user=factories.UserFactory(username="city-member", first_name="李红", password="demo"),
        name="李红",
        branch=county["branch_a"],
    )
    scheduling.enrolment_add(
        actor=county["org"], training_class=lectures["big"].training_class, members=[member]
    )
    screen = classroom.terminal_create(
        actor=county["staff_a"],
        name=SCREEN,
        township=county["town_a"],
        username="town-a-screen",
        password="x-2026-pass",
    )
    screen.user.first_name = SCREEN
    screen.user.save(update_fields=["first_name"])
    return {"member": member, "screen": screen.user}


def open_page(browser, base, username, path, **options):
    context = browser.new_context(**options)
    context.set_default_timeout(60_000)
    logged_in(context, base, username)
    page = context.new_page()
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.goto(f"{base}{path}")
    page.get_by_test_id("status").filter(has_text="✓").wait_for()
    return context, page, sockets


def publisher_connection(stage_id: int) -> str:
    return LiveRoom.objects.get(pk=stage_id).publisher_connection


def test_the_teacher_hands_the_video_to_a_township_screen_and_takes_it_back(
    media_chromium,  # noqa: F811 (the imported fixture)
    two_janus,  # noqa: F811
    server,  # noqa: F811
    lectures,  # noqa: F811
    people,
):
    city, township = two_janus
    big, sub = lectures["big"], lectures["sub"]
    stage_id = big.live_room.pk
    desk = {"viewport": {"width": 1280, "height": 900}}
    teacher_context, teacher, _ = open_page(
        media_chromium, server, "teacher1", f"/classroom/{big.pk}/", **desk
    )
    teacher.get_by_test_id("publish-camera").click()
    teacher.get_by_test_id("stage-source").filter(has_text="张老师").wait_for()
    member_context, member, _ = open_page(
        media_chromium, server, "city-member", f"/classroom/{big.pk}/", viewport={"width": 390, "height": 844}
    )
    playing(member)
    screen_context, screen, screen_sockets = open_page(
        media_chromium, server, "town-a-screen", f"/classroom/{sub.pk}/", **desk
    )
    assert screen.get_by_test_id("on-line").is_hidden()

    # 连线 is offered next to the township screen only (not the member of the big room).
    screen_entry = teacher.get_by_test_id("participant").filter(has_text=SCREEN)
    screen_entry.get_by_test_id("handover").click()
    assert (
        teacher.get_by_test_id("participant").filter(has_text="李红").get_by_test_id("handover").count() == 0
    )

    screen.get_by_test_id("on-line").filter(has_text="正在连线").wait_for()
    member.get_by_test_id("stage-source").filter(has_text=SCREEN).wait_for()
    width, height = playing(member)
    assert width > 0 and height > 0
    # The screen sends to the city's Janus (the big room's), and that feed is the one on the stage.
    assert any(url.startswith(city.public_url) for url in screen_sockets), screen_sockets
    assert any(url.startswith(township.public_url) for url in screen_sockets), (
        screen_sockets
    )  # it watched there
    feed = media.feed_id(publisher_connection(stage_id))
    client = janus.Client(janus.instances()[janus.DEFAULT])
    for _ in range(100):
        publishers = [p["id"] for p in client.participants(stage_id) if p.get("publisher")]
        if publishers == [feed]:
            break
        teacher.wait_for_timeout(200)
    assert publishers == [feed]
    # The teacher's page receives the screen too, and offers 收回 next to it.
    teacher.get_by_test_id("stage-source").filter(has_text=SCREEN).wait_for()
    playing(teacher)

    screen_entry.get_by_test_id("take-back").click()
    member.get_by_test_id("stage-source").filter(has_text="张老师").wait_for()
    screen.get_by_test_id("on-line").wait_for(state="hidden")
    assert screen.get_by_test_id("room-error").inner_text() == ""
    playing(member)
    teacher_feed = media.feed_id(publisher_connection(stage_id))
    assert teacher_feed != feed
    for _ in range(100):
        publishers = [p["id"] for p in client.participants(stage_id) if p.get("publisher")]
        if publishers == [teacher_feed]:
            break
        teacher.wait_for_timeout(200)
    assert publishers == [teacher_feed]
    # The screen watches the teacher again.
    screen.get_by_test_id("stage-source").filter(has_text="张老师").wait_for()
    playing(screen)
    for context in (teacher_context, member_context, screen_context):
        context.close()

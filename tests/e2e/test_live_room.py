"""A live lecture in real browsers on a real ASGI server. The teacher's browser sends its (fake)
camera over WebRTC and two members' phones receive it; a member's chat line and raised hand show up
on the teacher's page, and a hidden tab shows the member as away."""

import shutil
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lms.scheduling import services as scheduling
from lms.scheduling.models import Delivery, SessionKind
from tests import factories
from tests.e2e.conftest import CHROMIUM_ARGS, launched
from tests.servers import free_port, start_redis, start_server
from tests.services import need_postgres

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server():
    need_postgres()  # the server process must share the test database
    port = free_port()
    process = start_server(port)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


# Chromium's fake camera and microphone, permission prompts answered yes; host candidates as plain
# addresses (this machine has no multicast DNS to resolve Chromium's .local ones).
MEDIA_ARGS = [
    *CHROMIUM_ARGS,
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


@pytest.fixture(scope="module")
def media_chromium():
    yield from launched(MEDIA_ARGS)


@pytest.fixture
def lecture(county):
    teacher_user = factories.UserFactory(username="teacher1", first_name="张老师", password="demo")
    member = factories.MemberFactory(
        user=factories.UserFactory(username="member1", first_name="王建国", password="demo"),
        name="王建国",
        branch=county["branch_a"],
    )
    training_class = factories.training_class(
        county["town_a"],
        timezone.localdate(),
        teacher=factories.TeacherFactory(user=teacher_user),
        point=county["point_a"],
        publish=True,
    )
    second = factories.MemberFactory(
        user=factories.UserFactory(username="member2", first_name="李红梅", password="demo"),
        name="李红梅",
        branch=county["branch_a"],
    )
    scheduling.enrolment_add(actor=county["org"], training_class=training_class, members=[member, second])
    session = training_class.sessions.get(kind=SessionKind.LEADER_LECTURE)
    now = timezone.now()
    type(session).objects.filter(pk=session.pk).update(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=55), delivery=Delivery.LIVE
    )
    return session


def logged_in(context, base, username):
    client = Client()
    client.force_login(factories.User.objects.get(username=username))
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])


def playing(page):
    """The page's stage video shows frames (non-zero size) and its time advances. (Chromium pauses a
    muted video scrolled out of sight, so it is brought into view first.)"""
    page.get_by_test_id("stage-video").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=stage-video]'); return v.videoWidth > 0 }",
        timeout=30_000,
    )
    before = page.evaluate("document.querySelector('[data-testid=stage-video]').currentTime")
    page.wait_for_function(
        f"() => document.querySelector('[data-testid=stage-video]').currentTime > {before} + 0.5",
        timeout=15_000,
    )
    return page.evaluate(
        "(() => { const v = document.querySelector('[data-testid=stage-video]');"
        " return [v.videoWidth, v.videoHeight]; })()"
    )


def test_video_reaches_two_phones_and_chat_and_a_hand_reach_the_teacher(media_chromium, server, lecture):
    teacher_context = media_chromium.new_context(viewport={"width": 1280, "height": 900})
    phone_contexts = [
        media_chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        for _ in range(2)
    ]
    for context in (teacher_context, *phone_contexts):
        context.set_default_timeout(20_000)
    logged_in(teacher_context, server, "teacher1")
    logged_in(phone_contexts[0], server, "member1")
    logged_in(phone_contexts[1], server, "member2")
    teacher = teacher_context.new_page()
    teacher.goto(f"{server}/classroom/{lecture.pk}/")
    teacher.get_by_test_id("publish-camera").click()
    teacher.get_by_test_id("stage-source").filter(has_text="张老师").wait_for()

    phones = [context.new_page() for context in phone_contexts]
    for phone in phones:
        phone.goto(f"{server}/classroom/{lecture.pk}/")
    for phone in phones:
        width, height = playing(phone)
        assert width > 0 and height > 0
        assert "张老师" in phone.get_by_test_id("stage-source").inner_text()
    assert teacher.get_by_test_id("viewer-count").inner_text() == "2"
    phone = phones[0]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    phone.fill("#chat-text", "老师，能再讲一遍吗？")
    phone.press("#chat-text", "Enter")
    teacher.get_by_text("老师，能再讲一遍吗？").wait_for()
    phone.get_by_test_id("raise-hand").tap()
    teacher.locator("[data-testid=hand]").filter(has_text="王建国").wait_for()

    # The teacher switches to the screen: viewers keep their connection and see the new source.
    teacher.get_by_test_id("publish-screen").click()
    for each in phones:
        each.get_by_test_id("stage-source").filter(has_text="屏幕共享").wait_for()
        playing(each)
        # The fake camera is 4:3, the captured screen 16:9: the frames now come from the screen.
        each.wait_for_function(
            "() => { const v = document.querySelector('[data-testid=stage-video]');"
            " return v.videoWidth / v.videoHeight > 1.6 }"
        )
    assert teacher.get_by_test_id("room-error").inner_text() == ""

    phone.evaluate("window.dispatchEvent(new Event('blur'))")  # the member switches away
    teacher.locator("[data-testid=participant][data-role=member][data-state=away]").wait_for()

    # A dropped connection comes back by itself and the video resumes.
    phone.evaluate("window.dispatchEvent(new Event('focus'))")
    phones[1].reload()
    playing(phones[1])
    for context in (teacher_context, *phone_contexts):
        context.close()


def test_outsiders_get_a_clear_refusal(media_chromium, server, lecture, county):
    context = media_chromium.new_context()
    client = Client()
    client.force_login(county["member_b"].user)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server}])
    page = context.new_page()
    response = page.goto(f"{server}/classroom/{lecture.pk}/")
    assert response.status == 403
    assert "只有本班学员" in page.get_by_test_id("room-refused").inner_text()
    context.close()


def test_the_room_comes_back_after_a_redis_restart(media_chromium, lecture):
    """Redis (the channel layer) restarts under a running class: every page reconnects by itself,
    catches up the chat from before, and new messages flow again."""
    need_postgres()
    shutil.which("redis-server") or pytest.skip("redis-server is not installed")
    redis_port, port = free_port(), free_port()
    redis = start_redis(redis_port)
    server = start_server(port, redis_url=f"redis://127.0.0.1:{redis_port}/0")
    base = f"http://127.0.0.1:{port}"
    try:
        pages = {}
        for username in ("teacher1", "member1"):
            context = media_chromium.new_context(viewport={"width": 390, "height": 844})
            context.set_default_timeout(20_000)
            logged_in(context, base, username)
            pages[username] = context.new_page()
            pages[username].goto(f"{base}/classroom/{lecture.pk}/")
            pages[username].get_by_test_id("status").filter(has_text="✓").wait_for()
        teacher, member = pages["teacher1"], pages["member1"]
        member.fill("#chat-text", "重启之前")
        member.press("#chat-text", "Enter")
        teacher.get_by_text("重启之前").wait_for()

        redis.terminate()
        redis.wait(timeout=10)
        member.get_by_test_id("status").filter(has_text="重新连接").wait_for()
        redis = start_redis(redis_port)
        for page in (teacher, member):
            page.get_by_test_id("status").filter(has_text="✓").wait_for(timeout=60_000)
        assert member.get_by_text("重启之前").count() == 1  # caught up, not doubled
        member.fill("#chat-text", "重启之后")
        member.press("#chat-text", "Enter")
        teacher.get_by_text("重启之后").wait_for()
        teacher.locator("[data-testid=participant][data-role=member]").wait_for()
    finally:
        server.terminate()
        server.wait(timeout=10)
        redis.terminate()
        redis.wait(timeout=10)

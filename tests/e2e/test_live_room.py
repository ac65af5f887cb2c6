"""A live lecture in real browsers on a real ASGI server: the teacher's page and a member's phone
page see each other; the member's chat line and raised hand show up on the teacher's page, and a
hidden tab shows the member as away."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lms.scheduling import services as scheduling
from lms.scheduling.models import Delivery, SessionKind
from tests import factories
from tests.servers import free_port, start_server
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
    scheduling.enrolment_add(actor=county["org"], training_class=training_class, members=[member])
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


def test_chat_and_a_raised_hand_reach_the_teacher(chromium, server, lecture):
    teacher_context = chromium.new_context(viewport={"width": 1280, "height": 900})
    phone_context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    for context in (teacher_context, phone_context):
        context.set_default_timeout(15_000)
    logged_in(teacher_context, server, "teacher1")
    logged_in(phone_context, server, "member1")
    teacher, phone = teacher_context.new_page(), phone_context.new_page()
    teacher.goto(f"{server}/classroom/{lecture.pk}/")
    phone.goto(f"{server}/classroom/{lecture.pk}/")
    teacher.locator("[data-testid=participant][data-role=member]").wait_for()

    phone.fill("#chat-text", "老师，能再讲一遍吗？")
    phone.press("#chat-text", "Enter")
    teacher.get_by_text("老师，能再讲一遍吗？").wait_for()
    phone.get_by_test_id("raise-hand").tap()
    teacher.locator("[data-testid=hand]").filter(has_text="王建国").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    phone.evaluate("window.dispatchEvent(new Event('blur'))")  # the member switches away
    teacher.locator("[data-testid=participant][data-role=member][data-state=away]").wait_for()
    teacher_context.close()
    phone_context.close()


def test_outsiders_get_a_clear_refusal(chromium, server, lecture, county):
    context = chromium.new_context()
    client = Client()
    client.force_login(county["member_b"].user)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server}])
    page = context.new_page()
    response = page.goto(f"{server}/classroom/{lecture.pk}/")
    assert response.status == 403
    assert "只有本班学员" in page.get_by_test_id("room-refused").inner_text()
    context.close()

"""The live room's badges in a real browser: the connection status says in words how it is (with its
colour) instead of a bare "✓", and the "muted" badge shows only while the chat is muted (a CSS display
rule used to override `hidden`, so every member saw "已禁言")."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lms.scheduling import services as scheduling
from lms.scheduling.models import Delivery, Session, SessionKind, TrainingClass
from tests import factories
from tests.servers import free_port, start_server
from tests.services import need_postgres

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server():
    need_postgres()  # the server process must share the test database
    port = free_port()
    process = start_server(port)
    yield {"url": f"http://127.0.0.1:{port}", "process": process}
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def lecture(county):
    """A live lecture on air now (from 5 minutes ago for an hour) with member_a enrolled and a teacher
    with a login. The class spans yesterday to tomorrow, so the hour may cross midnight."""
    teacher_user = factories.UserFactory(username="badge_teacher", first_name="张老师")
    today = timezone.localdate()
    training_class = factories.training_class(
        county["town_a"],
        today,
        teacher=factories.TeacherFactory(user=teacher_user),
        point=county["point_a"],
        publish=True,
    )
    scheduling.enrolment_add(actor=county["org"], training_class=training_class, members=[county["member_a"]])
    TrainingClass.objects.filter(pk=training_class.pk).update(
        start_date=today - timedelta(days=1), end_date=today + timedelta(days=1)
    )
    session = training_class.sessions.get(kind=SessionKind.LEADER_LECTURE)
    now = timezone.now()
    Session.objects.filter(pk=session.pk).update(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=55), delivery=Delivery.LIVE
    )
    return {"session": session, "teacher": teacher_user, "member": county["member_a"].user}


def page_for(chromium, base: str, user, **context_options):
    client = Client()
    client.force_login(user)
    context = chromium.new_context(**context_options)
    context.set_default_timeout(20_000)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])
    return context.new_page()


def test_status_in_words_and_the_muted_badge_only_when_muted(chromium, server, lecture):
    base = server["url"]
    url = f"{base}/classroom/{lecture['session'].pk}/"
    phone = page_for(
        chromium, base, lecture["member"], viewport={"width": 390, "height": 844}, is_mobile=True
    )
    phone.goto(url)
    status = phone.get_by_test_id("status")
    status.filter(has_text="已连接").wait_for()
    assert status.get_attribute("data-state") == "connected"
    assert status.evaluate("el => getComputedStyle(el).color") == "rgb(27, 94, 32)"  # green
    badge = phone.locator("#muted-badge")
    assert badge.is_hidden()  # not muted: no badge (the bug showed it to everyone)

    teacher = page_for(chromium, base, lecture["teacher"], viewport={"width": 1280, "height": 900})
    teacher.goto(url)
    teacher.get_by_test_id("status").filter(has_text="已连接").wait_for()
    teacher.locator("#mute-toggle").check()
    badge.wait_for(state="visible")
    assert badge.inner_text() == "已禁言"
    teacher.locator("#mute-toggle").uncheck()
    badge.wait_for(state="hidden")

    # The server goes away: a browser that is online says it is reconnecting (amber), one whose
    # network is down says it is disconnected (red).
    phone.context.set_offline(True)
    server["process"].terminate()
    server["process"].wait(timeout=10)
    teacher_status = teacher.get_by_test_id("status")
    teacher_status.filter(has_text="正在重新连接").wait_for()
    assert teacher_status.get_attribute("data-state") == "reconnecting"
    status.filter(has_text="已断开").wait_for()
    assert status.get_attribute("data-state") == "disconnected"
    assert status.evaluate("el => getComputedStyle(el).color") == "rgb(183, 28, 28)"  # red

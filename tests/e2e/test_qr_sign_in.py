"""At the venue: staff put the sign-in screen up, a member scans its QR code with a phone, logs in,
is signed in, and the count on the screen goes up without a reload."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lms.scheduling import services as scheduling
from lms.scheduling.models import SessionKind
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def under_way(county):
    """Today's class of township A; its sign-in session started five minutes ago. member1 enrolled,
    township1 manages it."""
    member = factories.MemberFactory(
        user=factories.UserFactory(username="member1", first_name="王建国", password="demo"),
        name="王建国",
        branch=county["branch_a"],
    )
    staff = factories.UserFactory(username="township1", first_name="李干事", password="demo")
    from lms.people.services import staff_scope_grant

    staff_scope_grant(user=staff, school=county["town_a"])
    training_class = factories.training_class(
        county["town_a"],
        timezone.localdate(),
        teacher=factories.TeacherFactory(),
        point=county["point_a"],
        publish=True,
        title="冬训班（扫码签到）",
    )
    scheduling.enrolment_add(actor=county["org"], training_class=training_class, members=[member])
    session = training_class.sessions.get(kind=SessionKind.SIGN_IN)
    now = timezone.now()
    type(session).objects.filter(pk=session.pk).update(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=55)
    )
    return session


@pytest.fixture
def desktop(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, username):
    page.fill("#id_username", username)
    page.fill("#id_password", "demo")
    page.click("button[type=submit]")


def test_member_scans_logs_in_and_the_screen_counts_them(desktop, phone, live_server, under_way):
    desktop.goto(f"{live_server.url}/login/")
    log_in(desktop, "township1")
    desktop.wait_for_load_state("networkidle")
    desktop.goto(f"{live_server.url}/attendance/sessions/{under_way.pk}/venue/")
    count = desktop.get_by_test_id("count")
    assert count.get_attribute("data-count") == "0"
    assert "冬训班（扫码签到）" in desktop.locator("main").inner_text()
    desktop.evaluate("window.venueNotReloaded = true")
    checkin_url = desktop.get_by_test_id("qr").get_attribute("data-checkin-url")
    assert checkin_url.startswith(f"{live_server.url}/checkin/")

    phone.goto(checkin_url)
    assert "/login/" in phone.url
    log_in(phone, "member1")
    phone.wait_for_url(checkin_url)
    result = phone.get_by_test_id("checkin-result")
    assert result.get_attribute("data-status") == "present"
    assert "冬训班（扫码签到）" in result.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    desktop.wait_for_selector("[data-testid=count][data-count='1']")
    assert "王建国" in desktop.get_by_test_id("latest").inner_text()
    assert desktop.evaluate("window.venueNotReloaded") is True

"""The pages as production serves them (SECURITY_HEADERS=1: Content-Security-Policy and
Permissions-Policy) load in Chromium without a single CSP violation: a member's pages, the live room
(where the teacher's camera still starts and a member's phone still receives it over the websocket),
and the staff's admin pages with the roll call's nonced script."""

import pytest
from django.urls import reverse

from tests.e2e.conftest import launched
from tests.e2e.test_live_room import MEDIA_ARGS, lecture, logged_in, playing  # noqa: F401  (a fixture)
from tests.servers import free_port, start_server
from tests.services import need_postgres

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation the page reports, and every console line about the policy.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${where}`);
});
"""


@pytest.fixture
def secured_server(monkeypatch):
    need_postgres()
    monkeypatch.setenv("SECURITY_HEADERS", "1")
    port = free_port()
    process = start_server(port)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def media_browser():
    yield from launched(MEDIA_ARGS)


def watched(browser, base, username, **options):
    context = browser.new_context(**options)
    context.set_default_timeout(20_000)
    context.add_init_script(WATCH_VIOLATIONS)
    logged_in(context, base, username)
    page = context.new_page()
    page.console_lines = []
    page.on("console", lambda message: page.console_lines.append(message.text))
    return page


def violations(page) -> list[str]:
    reported = page.evaluate("window.__violations")
    console = [line for line in page.console_lines if "Content Security Policy" in line]
    return reported + console


def visit(page, url):
    response = page.goto(url)
    assert response.status < 400, (url, response.status)
    assert "Content-Security-Policy" in {name.title() for name in response.headers}, url
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # late scripts (htmx, the room's socket) run
    return response


def test_member_pages_and_the_live_room_load_without_violations(media_browser, secured_server, lecture):  # noqa: F811
    base = secured_server
    phone = watched(media_browser, base, "member1", viewport={"width": 390, "height": 844}, is_mobile=True)
    for name in ("home", "scheduling:my_classes", "attendance:my_hours", "evaluation:my_evaluations"):
        visit(phone, base + reverse(name))
        assert violations(phone) == [], name
    visit(phone, base + reverse("search") + "?query=党课")
    assert violations(phone) == []
    # The language switcher's inline handler (allowed by its hash) still submits its form.
    phone.goto(base + reverse("home"))
    phone.select_option("#language-select", "en")
    phone.locator("html[lang^=en]").wait_for(state="attached")
    assert violations(phone) == []

    teacher = watched(media_browser, base, "teacher1", viewport={"width": 1280, "height": 900})
    room = visit(teacher, f"{base}/classroom/{lecture.pk}/")
    assert "camera=(self)" in room.headers["permissions-policy"]
    teacher.get_by_test_id("publish-camera").click()  # getUserMedia: allowed here by Permissions-Policy
    teacher.get_by_test_id("stage-source").filter(has_text="张老师").wait_for()
    visit(phone, f"{base}/classroom/{lecture.pk}/")
    width, _height = playing(phone)
    assert width > 0
    assert violations(teacher) == [] and violations(phone) == []


def test_staff_admin_pages_load_without_violations(media_browser, secured_server, lecture, county):  # noqa: F811
    staff = watched(media_browser, secured_server, "staff_a", viewport={"width": 1280, "height": 900})
    for url in ("/admin/", reverse("attendance_rollcall:session", args=[lecture.pk]), "/admin/pages/"):
        visit(staff, secured_server + url)
        assert violations(staff) == [], url
    # The roll call's inline script (nonce attribute) runs: its button marks the unmarked rows.
    staff.goto(secured_server + reverse("attendance_rollcall:session", args=[lecture.pk]))
    assert staff.locator("input[type=radio][value=present]:checked").count() == 0
    staff.locator("[data-mark-unmarked=present]").click()
    assert staff.locator("input[type=radio][value=present]:checked").count() == 2
    assert violations(staff) == []

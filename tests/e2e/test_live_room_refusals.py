"""A live-room page whose connection is refused shows why and stops trying (it used to see a bare
1006 and retry every 32 seconds forever). A member sits in the room; meanwhile staff withdraw them
from the class and the server restarts; the page reconnects, is refused with 4403, shows the
reason and opens no further connection."""

import time

import pytest

from lms.scheduling.models import Enrollment, EnrollmentStatus
from tests.e2e.test_live_room import lecture, logged_in  # noqa: F401 (the fixture)
from tests.servers import free_port, start_server
from tests.services import need_postgres

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Counts the page's websockets and the reconnections it schedules (`setTimeout(connect, …)`); the
# page's own code is unchanged.
COUNT_SOCKETS = """
window.socketsOpened = 0;
window.reconnectsScheduled = 0;
window.WebSocket = class extends window.WebSocket {
  constructor(...args) { super(...args); window.socketsOpened += 1; }
};
const schedule = window.setTimeout;
window.setTimeout = (callback, ...rest) => {
  if (callback && callback.name === "connect") window.reconnectsScheduled += 1;
  return schedule(callback, ...rest);
};
"""


def test_a_refused_page_shows_the_reason_and_stops_reconnecting(chromium, lecture):  # noqa: F811
    need_postgres()  # the server process shares the test database
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port)
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(20_000)
    try:
        logged_in(context, base, "member1")
        page = context.new_page()
        page.add_init_script(COUNT_SOCKETS)
        page.goto(f"{base}/classroom/{lecture.pk}/")
        page.get_by_test_id("status").filter(has_text="✓").wait_for()
        assert page.evaluate("window.socketsOpened") == 1

        Enrollment.objects.filter(member__user__username="member1").update(status=EnrollmentStatus.WITHDRAWN)
        server.terminate()
        server.wait(timeout=10)
        page.locator("[data-testid=status][data-state=reconnecting]").wait_for()
        server = start_server(port)

        page.get_by_test_id("room-error").filter(has_text="只有本班学员").wait_for(timeout=60_000)
        assert page.get_by_test_id("status").get_attribute("data-state") == "disconnected"
        # The reason stands where the page says whether it is connected, not only under the chat.
        assert "只有本班学员" in page.get_by_test_id("status").inner_text()
        opened = page.evaluate("window.socketsOpened")
        assert opened >= 2
        # Every close before the refusal scheduled the next try; the refusal scheduled none.
        assert page.evaluate("window.reconnectsScheduled") == opened - 1
        time.sleep(2)
        assert page.evaluate("[window.socketsOpened, window.reconnectsScheduled]") == [opened, opened - 1]
        assert "只有本班学员" in page.get_by_test_id("room-error").inner_text()
        page.screenshot(path="/tmp/socket-refused.png")
    finally:
        context.close()
        server.terminate()
        server.wait(timeout=10)

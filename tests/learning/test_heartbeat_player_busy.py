"""The player on a phone when the server is overloaded: its first heartbeat is answered 503 `busy`
(Retry-After: 1), the player shows the server's message, keeps the intervals and sends them again
later, and the server ends up crediting every second played."""

import json
import time

import pytest

from tests.e2e.conftest import chromium, phone  # noqa: F401 (the browser fixtures, used below)
from tests.learning.test_player_browser import log_in, replay, watched  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUSY = {"detail": "服务器繁忙，请几秒后再试。", "code": "busy"}


def test_a_busy_answer_loses_no_second_played(
    phone,  # noqa: F811 (the fixture imported above)
    live_server,
    replay,  # noqa: F811
):
    page, member, video = phone, replay["member"], replay["video"]
    sent: list[dict] = []

    def heartbeat(route):
        sent.append(json.loads(route.request.post_data or "{}"))
        if len(sent) == 1:  # the first one meets an overloaded server
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body=json.dumps(BUSY),
            )
        else:
            route.continue_()

    page.route("**/api/v1/viewings/*/heartbeat", heartbeat)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/me/videos/{video.pk}/")
    page.wait_for_selector("[data-player][data-ready=true]", timeout=60_000)
    page.evaluate("document.querySelector('video').muted = true; document.querySelector('video').play()")
    page.wait_for_function("document.querySelector('video').currentTime >= 12", timeout=60_000)
    page.evaluate("document.querySelector('video').pause()")
    played = page.evaluate("document.querySelector('video').currentTime")
    # The busy answer's message is shown.
    page.wait_for_function(
        "document.querySelector('[data-status]').textContent.includes('服务器繁忙')", timeout=30_000
    )
    deadline = time.monotonic() + 40
    while watched(member, video) < played - 2 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    credited = watched(member, video)
    assert played - 2 <= credited <= played + 1, (played, credited, sent)
    # What the busy answer turned away was sent again: the next heartbeat starts where the first did.
    first, second = sent[0]["intervals"], sent[1]["intervals"]
    assert first and second[0][0] == pytest.approx(first[0][0])

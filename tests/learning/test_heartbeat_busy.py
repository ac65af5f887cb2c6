"""An overloaded server says so: a real server process (uvicorn) whose database pool has one connection
and waits one second for it. While that connection is held (a heartbeat waiting on its member's
viewing row, locked here), another member's heartbeat is answered 503 `busy` with Retry-After, in the
member's language, not a 500; sent again later, as the player does, it is credited in full."""

import json
import threading
import time
from datetime import timedelta
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from lms.attendance.models import OnlineStudy
from lms.learning import services
from lms.learning.models import Viewing, WatchProgress
from lms.people.tokens import api_token_issue
from tests import factories
from tests.learning.conftest import make_video
from tests.servers import free_port, start_server
from tests.services import need_postgres


def post(port: int, path: str, body: dict, token: str, language: str | None = None):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if language:
        headers["Cookie"] = f"django_language={language}"
    request = Request(f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(), headers, method="POST")
    started = time.monotonic()
    try:
        with urlopen(request, timeout=30) as answer:
            return answer.status, answer.headers, json.loads(answer.read()), time.monotonic() - started
    except HTTPError as error:
        return error.code, error.headers, json.loads(error.read()), time.monotonic() - started


def raw_url() -> str:
    db = connection.settings_dict
    return f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def waiting_on_a_lock(member_id: int) -> bool:
    with psycopg.connect(raw_url(), autocommit=True) as probe:
        row = probe.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE %s",
            ["%learning_viewing%"],
        ).fetchone()
    return row[0] > 0


@pytest.mark.django_db(transaction=True)
def test_an_overloaded_pool_answers_503_busy_and_the_heartbeat_is_taken_later(county, monkeypatch):
    need_postgres()
    video = make_video(county["town_a"])
    waiting, busy = county["member_a"], factories.MemberFactory(branch=county["branch_a"])
    viewings = {}
    for member in (waiting, busy):
        viewing, signed = services.viewing_start(member=member, video=video)
        Viewing.objects.filter(pk=viewing.pk).update(last_beat_at=timezone.now() - timedelta(minutes=1))
        viewings[member.pk] = (f"/api/v1/viewings/{signed}/heartbeat", api_token_issue(user=member.user)[0])
    monkeypatch.setenv("DB_POOL_SIZE", "1")
    monkeypatch.setenv("DB_POOL_TIMEOUT", "1")
    port = free_port()
    server = start_server(port)
    lock = psycopg.connect(raw_url())
    try:
        # The first member's viewing row is locked: their heartbeat holds the pool's one connection.
        lock.execute("SELECT 1 FROM learning_viewing WHERE member_id = %s FOR UPDATE", [waiting.pk])
        first = {}
        path, token = viewings[waiting.pk]
        body = {"intervals": [[0, 10]], "position": 10}
        held = threading.Thread(target=lambda: first.update(answer=post(port, path, body, token)))
        held.start()
        deadline = time.monotonic() + 20
        while not waiting_on_a_lock(waiting.pk):
            assert time.monotonic() < deadline, "the first heartbeat never reached the locked row"
            time.sleep(0.1)
        path, token = viewings[busy.pk]
        status, headers, answer, seconds = post(port, path, body, token)
        assert status == 503, answer
        assert answer == {"detail": "服务器繁忙，请几秒后再试。", "code": "busy"}
        assert headers["Retry-After"] == "5", dict(headers)
        assert seconds < 5  # the pool's one-second wait, not a hang
        status, _headers, answer, _seconds = post(port, path, body, token, language="en")
        assert (status, answer["code"]) == (503, "busy")
        assert answer["detail"] == "The server is busy. Try again in a few seconds."
        assert not WatchProgress.objects.filter(member=busy).exists()  # nothing taken
        lock.rollback()
        held.join(timeout=20)
        assert first["answer"][0] == 200 and first["answer"][2]["credited_seconds"] == 10
        # The player sends the same intervals again after Retry-After: all ten seconds are credited.
        status, _headers, answer, _seconds = post(port, path, body, token)
        assert status == 200 and answer["credited_seconds"] == 10, answer
    finally:
        lock.close()
        server.terminate()
        server.wait(timeout=10)
    for member in (waiting, busy):
        assert WatchProgress.objects.get(member=member, video=video).watched_seconds == 10
        assert OnlineStudy.objects.get(member=member, video=video).seconds == 10

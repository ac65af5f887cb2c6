"""`kill -9` of the PostgreSQL postmaster in the middle of a class's sign-in burst (issue 14 §7).

500 phones sign in to a lecture under way, half through the JSON API (`POST /api/v1/attendance/
checkin`, bearer token) and half through the page a phone opens after scanning the venue's QR code
(`GET /checkin/<code>/`, logged in), 20 at a time, as the benchmark does. When a third of them have
been answered, the postmaster is killed; PostgreSQL is started again two seconds later (crash
recovery) while the phones keep trying, each until it is answered 2xx. The server (uvicorn, 2 workers,
production settings, a psycopg pool per worker) is never restarted.

What must hold, from what the server answered and what the database kept:
- every failure is a clean 5xx answer, none hangs and no connection is dropped;
- every member who got a 2xx has exactly one record, the one answered, with one history row; no
  member got two "created" answers; a member scanning again afterwards is answered created=false;
- the server recovers by itself: once PostgreSQL is back, requests succeed within a few seconds,
  with the same worker processes as before; after a second crash at a quiet moment (PostgreSQL
  back before the next request) pooled connections that died with the server are dropped, not
  each handed out to fail a request (at most the first few requests fail, see the test).
"""

import asyncio
import json
import re
import sys
import time
from dataclasses import dataclass, field

import pytest
from django.core import signing

from tests.faults import services
from tests.faults.conftest import start_stack

sys.path.insert(0, str(services.ROOT / "bench"))
from http_load import Connection, Request  # the benchmarks' keep-alive client

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

MEMBERS = 500
CONCURRENCY = 20
KILL_AFTER = MEMBERS // 3  # members answered 2xx before the postmaster is killed
OUTAGE_SECONDS = 2.0
ANSWER_TIMEOUT = 20.0  # an answer slower than this is a hang
PHONE_PATIENCE = 60.0  # a phone keeps trying this long
RETRY_PAUSE = 0.3
RECOVERY_GOAL = 10.0  # seconds after PostgreSQL is back by which sign-ins succeed again
QUIET_CRASH_FAILURES = 4  # at most, at the start: see the test
RESULT = re.compile(r'data-testid="checkin-result"([^>]*)>')
ATTR = re.compile(r'data-([a-z]+)="([^"]*)"')


@pytest.fixture
def stack(migrated):
    yield from start_stack(migrated, MEMBERS)


def qr_code(session_id: int) -> str:
    """The venue's current code, as lms.attendance.qr makes it with the server's key and clock
    (the real clock: the server runs on it, not on the test's frozen one)."""
    import time_machine

    now = time_machine.escape_hatch.time.time() if time_machine.escape_hatch.is_travelling() else time.time()
    signer = signing.Signer(key=services.SECRET_KEY, salt="lms.attendance.qr")
    return signer.sign(f"{session_id}.{int(now // 20)}")


def scan(person: dict, session_id: int, via: str) -> Request:
    if via == "api":
        body = json.dumps({"code": qr_code(session_id)}).encode()
        headers = {"Authorization": f"Bearer {person['token']}", "Content-Type": "application/json"}
        return Request("POST", "/api/v1/attendance/checkin", headers, body, tag=person)
    return Request("GET", f"/checkin/{qr_code(session_id)}/", {"Cookie": person["cookie"]}, tag=person)


def scan_result(status: int, body: bytes, via: str) -> dict | None:
    """(record id, created) as the server answered a 2xx, from the JSON or the page."""
    if via == "api":
        data = json.loads(body)
        return {"id": data.get("id"), "created": data.get("created")}
    match = RESULT.search(body.decode(errors="replace"))
    attrs = dict(ATTR.findall(match.group(1))) if match else {}
    if "record" not in attrs:
        return None
    return {"id": int(attrs["record"]), "created": attrs.get("created") == "true"}


@dataclass
class Attempt:
    member: int
    via: str
    started: float
    ended: float
    status: int  # 0: no answer (timeout or dropped connection)
    result: dict | None = None
    error: str = ""


@dataclass
class Burst:
    attempts: list[Attempt] = field(default_factory=list)
    killed_at: float = 0.0
    back_at: float = 0.0  # PostgreSQL accepts queries again


async def sign_in(conn: Connection, person: dict, session_id: int, via: str) -> Attempt:
    started = time.monotonic()
    try:
        answer = await asyncio.wait_for(conn.send(scan(person, session_id, via)), ANSWER_TIMEOUT)
    except (TimeoutError, OSError, ConnectionError) as error:
        await conn.close()
        return Attempt(person["member"], via, started, time.monotonic(), 0, error=repr(error))
    result = scan_result(answer.status, answer.body, via) if 200 <= answer.status < 300 else None
    return Attempt(person["member"], via, started, time.monotonic(), answer.status, result)


async def run_burst(stack) -> Burst:
    burst = Burst()
    queue = list(enumerate(stack.people))
    succeeded = 0
    crash_task = None

    async def crash():
        burst.killed_at = time.monotonic()
        stack.cluster.kill()
        await asyncio.sleep(OUTAGE_SECONDS)
        await asyncio.to_thread(stack.cluster.start)
        burst.back_at = time.monotonic()

    async def phone_worker():
        nonlocal succeeded, crash_task
        conn = Connection(services.HOST, stack.server.port)
        try:
            while queue:
                i, person = queue.pop(0)
                via = "api" if i % 2 == 0 else "html"
                deadline = time.monotonic() + PHONE_PATIENCE
                while True:
                    attempt = await sign_in(conn, person, stack.session, via)
                    burst.attempts.append(attempt)
                    if attempt.status and 200 <= attempt.status < 300:
                        succeeded += 1
                        if succeeded == KILL_AFTER and crash_task is None:
                            crash_task = asyncio.create_task(crash())
                        break
                    if time.monotonic() > deadline:
                        break
                    await asyncio.sleep(RETRY_PAUSE)
        finally:
            await conn.close()

    await asyncio.gather(*(phone_worker() for _ in range(CONCURRENCY)))
    if crash_task is not None:
        await crash_task
    return burst


async def scan_again(stack, people: list[tuple[int, dict]]) -> list[Attempt]:
    conn = Connection(services.HOST, stack.server.port)
    try:
        return [await sign_in(conn, p, stack.session, "api" if i % 2 == 0 else "html") for i, p in people]
    finally:
        await conn.close()


def test_a_killed_database_loses_no_sign_in_and_the_server_recovers(stack):
    burst = asyncio.run(run_burst(stack))
    assert burst.killed_at, "the burst ended before the crash"
    attempts = burst.attempts
    ok = [a for a in attempts if 200 <= a.status < 300]
    failed = [a for a in attempts if not 200 <= a.status < 300]
    during = [a for a in attempts if a.ended >= burst.killed_at and a.started <= burst.back_at]
    after_back = [a for a in failed if a.started >= burst.back_at]
    first_ok_after = min((a.ended for a in ok if a.started >= burst.killed_at), default=None)
    last_failure = max((a.ended for a in failed), default=burst.back_at)
    figures = {
        "attempts": len(attempts),
        "attempts_during_outage": len(during),
        "ok_during_outage": sum(200 <= a.status < 300 for a in during),
        "failed_during_outage": sum(not 200 <= a.status < 300 for a in during),
        "failed_after_database_back": len(after_back),
        "statuses": sorted({a.status for a in attempts}),
        "restart_seconds": round(burst.back_at - burst.killed_at, 2),
        "first_2xx_after_back_s": round(first_ok_after - burst.back_at, 2) if first_ok_after else None,
        "last_failure_after_back_s": round(last_failure - burst.back_at, 2),
        "slowest_failure_s": round(max((a.ended - a.started for a in failed), default=0), 2),
    }
    print("FAULTS postgres " + json.dumps(figures))

    # Clean failures: answered, 5xx, in time.
    assert not [a for a in failed if a.status == 0], f"hangs or dropped connections: {figures}"
    assert all(a.status >= 500 for a in failed), f"failures that are not 5xx: {figures}"
    # The burst was running while PostgreSQL was down: sign-ins were asked or still waiting for their
    # answer then. Not every run sees a failure: a request that waits for a pooled connection may get
    # one from the restarted server (the pool timeout is longer than the restart), and then nobody
    # notices the crash, which is what we want. On a busy machine every phone may be waiting on a
    # request sent just before the kill for the whole outage, so none starts during it.
    assert during, f"no sign-in was asked or waiting while PostgreSQL was down: {figures}"
    # Recovery without a restart: nothing fails once the pool had a moment to see the server back.
    late = [a for a in after_back if a.started >= burst.back_at + RECOVERY_GOAL]
    assert not late, f"{len(late)} sign-ins failed more than {RECOVERY_GOAL} s after PostgreSQL was back"
    assert stack.server.process.poll() is None
    assert stack.server.wait_workers() == stack.workers, "a worker process was replaced"

    # Nothing lost, nothing twice.
    answered: dict[int, list[Attempt]] = {}
    for attempt in ok:
        answered.setdefault(attempt.member, []).append(attempt)
    assert len(answered) == MEMBERS, f"{MEMBERS - len(answered)} members never signed in: {figures}"
    unreadable = [a for a in ok if a.result is None]
    assert not unreadable, f"{len(unreadable)} 2xx answers without a sign-in result"
    records = {int(k): v for k, v in stack.build("signins", str(stack.session))["records"].items()}
    assert [m for m, rows in records.items() if len(rows) != 1] == []
    for member, tries in answered.items():
        (row,) = records[member]
        assert {a.result["id"] for a in tries} == {row["id"]}
        assert sum(a.result["created"] for a in tries) <= 1
        assert row["changes"] == 1 and row["source"] == "qr"
    assert set(records) == set(answered)

    # A second crash at a quiet moment, PostgreSQL back before anyone asks: the pools still hold
    # connections to the dead server, which must be dropped, not handed out one per request.
    # Members scanning again then get the same record, not created.
    stack.cluster.kill()
    stack.cluster.start()
    again = asyncio.run(scan_again(stack, list(enumerate(stack.people))[::5]))
    statuses = [a.status for a in again]
    failures = [i for i, status in enumerate(statuses) if status != 200]
    print(f"FAULTS postgres quiet crash: {len(again)} scans again, failed: {failures}")
    # Each of the 16 pooled connections (8 per worker) used to fail one request. With the pool's
    # check, a request finding dead ones tries the next after a back-off (0, 1, 2, 4 s…) and gives
    # up at DB_POOL_TIMEOUT (5 s here), so a few requests may still fail that way, then none. The
    # pool lends its idle connections in turn, so the dead ones are met (and dropped) spread over
    # the first rounds, not only by the very first requests: 4 failures, at 0, 1, 2 and 4 on a quiet
    # machine and as late as 10 or 11 on a busy one (CI). What must hold: far fewer than one per
    # pooled connection, only in those first rounds, and none after.
    assert all(status in (200, 500, 503) for status in statuses), statuses
    assert len(failures) <= QUIET_CRASH_FAILURES and all(i < 20 for i in failures), statuses
    assert all(status == 200 for status in statuses[20:])
    for attempt in again:
        if attempt.status != 200:
            continue
        assert attempt.result == {"id": records[attempt.member][0]["id"], "created": False}
    after = {int(k): v for k, v in stack.build("signins", str(stack.session))["records"].items()}
    assert after == records

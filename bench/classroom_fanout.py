"""Benchmark the live classroom's fan-out: N members' websockets in one room on the real server with
Redis; the teacher sends chat messages; every member should receive each of them. The same clients
and pacing against a bare broadcast server (plain `websockets`, no Django, no Redis) give the
baseline.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/classroom_fanout.py [N] [--processes 2]

It migrates a throwaway database (BENCH_DB, default `lms_bench_fanout`), creates a class whose
lecture is live now with N members enrolled (default 500), each with a login session, starts uvicorn
(one process, or two sharing Redis with the members split between them), connects everyone, then the
teacher sends MESSAGES chat lines (default 20) one every PACE seconds (the per-connection limit is 10
in 5 s). It prints the time to connect everyone and, per message and receiver, p50/p99/max delivery
latency and delivered/expected, for the room and for the baseline, and their ratios.
"""

import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from checkin_burst import free_port  # noqa: E402
from demo_members import create, database_url, drop, server  # noqa: E402

BENCH_DB = os.environ.get("BENCH_DB", "lms_bench_fanout")
MESSAGES = int(os.environ.get("MESSAGES", "20"))
PACE = float(os.environ.get("PACE", "0.6"))
CONNECT_BATCH = 50
ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "LOG_LEVEL": "WARNING",
    "DB_POOL_SIZE": os.environ.get("DB_POOL_SIZE", "10"),
}


def prepare(members: int):
    """A class whose lecture is live now, a teacher with a login and `members` enrolled; returns
    (session id, teacher's session key, members' session keys)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session as LoginSession
    from django.utils import timezone

    from lms.people.models import Member
    from lms.scheduling.models import Delivery, Enrollment, Session, SessionKind
    from tests import factories

    city = factories.city_school()
    town = factories.township_school(city, "基准镇党校")
    branch = factories.BranchFactory(township=town, name="基准村党支部")
    teacher = factories.TeacherFactory(user=factories.UserFactory(first_name="主讲教师"))
    today = timezone.localdate()
    training_class = factories.training_class(
        town, today, teacher=teacher, point=factories.teaching_point(town), capacity=members, publish=True
    )
    now = timezone.now()
    Session.objects.filter(training_class=training_class, kind=SessionKind.LEADER_LECTURE).update(
        delivery=Delivery.LIVE, starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=2)
    )
    lecture = training_class.sessions.get(kind=SessionKind.LEADER_LECTURE)
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"1891{i:07d}", first_name=f"党员{i}", password="!") for i in range(members)]
    )
    rows = Member.objects.bulk_create(
        [Member(user=u, name=u.first_name, phone=u.username, branch=branch) for u in users]
    )
    Enrollment.objects.bulk_create([Enrollment(training_class=training_class, member=m) for m in rows])

    def login(user) -> LoginSession:
        data = {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": settings.AUTHENTICATION_BACKENDS[0],
            "_auth_user_hash": user.get_session_auth_hash(),
        }
        store = SessionStore()
        key = store._get_new_session_key()
        expires = now + timedelta(days=1)
        return LoginSession(session_key=key, session_data=store.encode(data), expire_date=expires)

    sessions = LoginSession.objects.bulk_create([login(user) for user in [teacher.user, *users]])
    return lecture.pk, sessions[0].session_key, [s.session_key for s in sessions[1:]]


def start_uvicorn(url: str, port: int, redis_url: str, prefix: str) -> subprocess.Popen:
    env = {**os.environ, **ENV, "DATABASE_URL": url, "REDIS_URL": redis_url, "CHANNEL_PREFIX": prefix}
    command = [str(ROOT / ".venv/bin/uvicorn"), "lms.asgi:application", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--lifespan", "off", "--no-access-log", "--log-level", "warning"]
    return _wait_for(subprocess.Popen(command, cwd=ROOT, env=env), port)


def _wait_for(process: subprocess.Popen, port: int) -> subprocess.Popen:
    import socket

    for _ in range(150):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"nothing answers on port {port}")


# --- Clients ---------------------------------------------------------------------------------------


def origin(url: str) -> str:
    """The page origin a browser would send (the server refuses foreign ones)."""
    return "http://" + url.removeprefix("ws://").split("/")[0]


async def run_room(urls: list[str], teacher_url: str, cookies: list[str], teacher_cookie: str) -> dict:
    """Connect every member, then the teacher; the teacher sends the messages; collect latencies."""
    import websockets

    latencies: list[float] = []
    received = [0]
    joined = asyncio.Event()

    async def member(url: str, cookie: str, ready: asyncio.Event):
        headers = {"Cookie": f"sessionid={cookie}", "Origin": origin(url)}
        async with websockets.connect(url, additional_headers=headers, max_size=None, open_timeout=60) as ws:
            async for raw in ws:
                if '"welcome"' in raw[:40]:
                    ready.set()
                elif '"chat.message"' in raw[:40]:  # only chat is parsed: joins bring many other events
                    text = json.loads(raw)["text"]
                    if text.startswith("bench "):
                        latencies.append((time.time() - float(text.split()[2])) * 1000)
                        received[0] += 1
                        if received[0] == len(cookies) * MESSAGES:
                            joined.set()

    started = time.perf_counter()
    tasks = []
    for first in range(0, len(cookies), CONNECT_BATCH):
        batch = []
        for index in range(first, min(first + CONNECT_BATCH, len(cookies))):
            ready = asyncio.Event()
            tasks.append(asyncio.create_task(member(urls[index % len(urls)], cookies[index], ready)))
            batch.append(ready)
        await asyncio.wait_for(asyncio.gather(*(event.wait() for event in batch)), timeout=120)
    connect_seconds = time.perf_counter() - started

    headers = {"Cookie": f"sessionid={teacher_cookie}", "Origin": origin(teacher_url)}
    async with websockets.connect(teacher_url, additional_headers=headers, max_size=None) as teacher:
        await asyncio.sleep(2)  # let the join events settle before measuring
        for sequence in range(MESSAGES):
            line = f"bench {sequence} {time.time():.6f}"  # the receivers measure from this time
            await teacher.send(json.dumps({"type": "chat.send", "text": line}))
            await asyncio.sleep(PACE)
        with contextlib.suppress(TimeoutError):  # what is missing by then counts as lost
            await asyncio.wait_for(joined.wait(), timeout=15)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"connect": connect_seconds, "latencies": latencies, "delivered": received[0]}


def baseline_server(port: int) -> None:
    """The bare broadcast: every message from /teacher goes to every other connection as chat."""
    import websockets
    from websockets.asyncio.server import serve

    clients = set()

    async def handler(ws):
        clients.add(ws)
        try:
            await ws.send(json.dumps({"type": "welcome"}))
            async for raw in ws:
                if ws.request.path == "/teacher":
                    text = json.loads(raw)["text"]
                    websockets.broadcast(clients - {ws}, json.dumps({"type": "chat.message", "text": text}))
        except websockets.ConnectionClosed:
            pass  # the benchmark drops its clients when done
        finally:
            clients.discard(ws)

    async def main():
        async with serve(handler, "127.0.0.1", port, max_size=None):
            await asyncio.Future()

    asyncio.run(main())


def summary(label: str, result: dict, expected: int) -> tuple[float, float]:
    ordered = sorted(result["latencies"]) or [float("nan")]
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{label:<26} connect {result['connect']:6.1f} s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
        f"max {ordered[-1]:7.1f} ms  delivered {result['delivered']}/{expected} "
        f"({result['delivered'] / expected:.1%})"
    )
    return p50, p99


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--baseline-server":
        baseline_server(int(sys.argv[2]))
        return 0
    url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
        return 2
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    members = int(args[0]) if args else 500
    processes = 2 if "--processes" in sys.argv else 1
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 8 * members + 1024)), hard))

    bench_url = database_url(url, BENCH_DB)
    os.environ.update({**ENV, "DATABASE_URL": bench_url, "DJANGO_SETTINGS_MODULE": "lms.settings"})
    server(url, drop(BENCH_DB), create(BENCH_DB))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    session_id, teacher_cookie, cookies = prepare(members)
    print(f"setup: {members} members enrolled and logged in, in {time.perf_counter() - started:.1f} s")
    connections.close_all()

    prefix = f"bench{os.getpid()}"
    ports = [free_port() for _ in range(processes)]
    servers = [start_uvicorn(bench_url, port, redis_url, prefix) for port in ports]
    baseline_port = free_port()
    baseline = _wait_for(
        subprocess.Popen([sys.executable, __file__, "--baseline-server", str(baseline_port)]), baseline_port
    )
    try:
        urls = [f"ws://127.0.0.1:{port}/ws/classroom/{session_id}/" for port in ports]
        room = asyncio.run(run_room(urls, urls[0], cookies, teacher_cookie))
        bare_urls = [f"ws://127.0.0.1:{baseline_port}/member"]
        bare_teacher = f"ws://127.0.0.1:{baseline_port}/teacher"
        bare = asyncio.run(run_room(bare_urls, bare_teacher, cookies, teacher_cookie))
    finally:
        for process in [*servers, baseline]:
            process.terminate()
            process.wait(timeout=10)
        connections.close_all()
        if not os.environ.get("KEEP_DB"):
            server(url, drop(BENCH_DB))

    expected = members * MESSAGES
    print(
        f"{members} members, {MESSAGES} messages one every {PACE} s, {os.cpu_count()} cores, "
        f"{processes} uvicorn process(es) with Redis, PostgreSQL"
    )
    room_p50, room_p99 = summary("classroom (Django+Redis)", room, expected)
    bare_p50, bare_p99 = summary("bare websockets broadcast", bare, expected)
    print(f"{'ratio classroom/bare':<26} p50 {room_p50 / bare_p50:.1f}×  p99 {room_p99 / bare_p99:.1f}×")
    return 0 if room["delivered"] == expected else 1


if __name__ == "__main__":
    sys.exit(main())

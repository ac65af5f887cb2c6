"""Benchmark the live classroom at county scale: N members' phones enter one room at once on the real
server (uvicorn with the Redis channel layer, as in production), then chat reaches every one of
them. The same clients do the same against a bare broadcast server (plain `websockets`, no Django,
no Redis) with the same number of processes, the baseline measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/classroom_fanout.py [N] [--processes 2]

It migrates a throwaway database (BENCH_DB, default `lms_bench_fanout`), creates a class whose
lecture is live now with N members enrolled (default 500), each logged in, and for each server:

1. connect: all N members at once; each member's time from opening the socket to its `welcome`,
   total and p99;
2. latency: the teacher (connected last, and reading too) sends MESSAGES chat lines (20) one every
   PACE seconds (the per-connection limit is 10 in 5 s); each line carries its sequence number and
   send time; p50/p99/max over every (receiver, line);
3. throughput: SENDERS members (20) each send 10 lines back to back; lines/s and frames/s from the
   first send to the last line's arrival at the last receiver (saturation);
4. teardown: every client leaves; the server's log is then read.

Every receiver (the members and the teacher) counts each line by its key, so a duplicate cannot
hide a loss. Checks: connect ≤ CONNECT_GOAL s (5), chat p99 ≤ P99_RATIO_GOAL × the bare server's
(5), no line lost, none twice, none refused, no error in the server's log (a send after close, a
traceback), and no presence left open in the database once everyone left. The figures are printed
before any check is judged, then one `BENCH {json}` line for `make bench`; the exit status is 1 when
a check fails. Servers run in process groups of their own, killed whatever happens.

BENCH_BREAK=drop makes member 0 ignore one line (a loss the checks must catch); BENCH_BREAK=dupdrop
also counts another line twice (a duplicate must not hide the loss).
"""

import asyncio
import contextlib
import json
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
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
SENDERS = int(os.environ.get("SENDERS", "20"))
BURST = 10  # each sender's lines in the throughput phase: the per-connection limit in 5 s
CONNECT_GOAL = float(os.environ.get("CONNECT_GOAL", "5"))
P99_RATIO_GOAL = float(os.environ.get("P99_RATIO_GOAL", "5"))
BREAK = os.environ.get("BENCH_BREAK", "")
ERROR_PATTERNS = re.compile(
    r"Traceback|Exception in ASGI|after sending 'websocket.close'|ClientDisconnected|ERROR|"
    r"send after close|over capacity",
    re.IGNORECASE,
)
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


def start(command: list[str], port: int, env: dict, log) -> subprocess.Popen:
    """A server in a process group of its own (so nothing it starts outlives the benchmark)."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    _wait_for(process, port)
    return process


def start_uvicorn(url: str, port: int, redis_url: str, prefix: str, log) -> subprocess.Popen:
    env = {**os.environ, **ENV, "DATABASE_URL": url, "REDIS_URL": redis_url, "CHANNEL_PREFIX": prefix}
    command = [str(ROOT / ".venv/bin/uvicorn"), "lms.asgi:application", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--lifespan", "off", "--no-access-log", "--log-level", "warning"]
    return start(command, port, env, log)


def stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _wait_for(process: subprocess.Popen, port: int) -> None:
    import socket

    for _ in range(150):
        if process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port}")


# --- Clients ---------------------------------------------------------------------------------------


def origin(url: str) -> str:
    """The page origin a browser would send (the server refuses foreign ones)."""
    return "http://" + url.removeprefix("ws://").split("/")[0]


class Receiver:
    """One socket's account: how many times each line arrived, and each line's latency."""

    def __init__(self):
        self.got: dict[str, int] = {}
        self.latencies: list[float] = []
        self.connect_seconds: float | None = None
        self.refused: list[str] = []


class Run:
    """One server's run: every receiver's account and the phases' progress."""

    def __init__(self, receivers: int):
        self.receivers = [Receiver() for _ in range(receivers)]
        self.sockets: list = [None] * receivers
        self.welcomed = 0
        self.all_welcomed = asyncio.Event()
        self.remaining = {"L": 0, "S": 0}
        self.phase_done = {"L": asyncio.Event(), "S": asyncio.Event()}
        self.last_arrival = {"L": 0.0, "S": 0.0}

    def arrived(self, index: int, raw: str, now: float) -> None:
        receiver = self.receivers[index]
        if receiver.connect_seconds is None:
            return
        message = json.loads(raw)
        key, _space, sent = message["text"].partition(" ")
        if BREAK and index == 0 and key == "L3":
            return  # broken on purpose: member 0 "loses" line 3
        if BREAK == "dupdrop" and index == 0 and key == "L4":
            receiver.got[key] = receiver.got.get(key, 0) + 1  # …and sees line 4 twice
        count = receiver.got.get(key, 0)
        receiver.got[key] = count + 1
        if count:
            return
        phase = key[0]
        if phase == "L":
            receiver.latencies.append((now - float(sent)) * 1000)
        self.last_arrival[phase] = now
        self.remaining[phase] -= 1
        if self.remaining[phase] == 0:
            self.phase_done[phase].set()


async def client(run: Run, index: int, url: str, cookie: str, started: float):
    import websockets

    receiver = run.receivers[index]
    headers = {"Cookie": f"sessionid={cookie}", "Origin": origin(url)}
    async with websockets.connect(url, additional_headers=headers, max_size=None, open_timeout=120) as ws:
        run.sockets[index] = ws
        async for raw in ws:
            head = raw[:48]
            if '"chat.message"' in head:
                run.arrived(index, raw, time.time())
            elif '"welcome"' in head and receiver.connect_seconds is None:
                receiver.connect_seconds = time.perf_counter() - started
                run.welcomed += 1
                if run.welcomed == len(run.receivers):
                    run.all_welcomed.set()
            elif '"error"' in head:
                receiver.refused.append(json.loads(raw).get("message", ""))


async def exercise(
    label: str, member_urls: list[str], teacher_url: str, cookies, teacher_cookie, relays=()
) -> dict:
    """Connect, latency, throughput, teardown against one server; returns the raw figures. With
    `relays` (bare servers in several processes, which do not share messages) every line is sent
    to each process through a socket that is not sent to, instead of by the teacher or a member."""
    members = len(cookies)
    run = Run(members + 1)  # the last receiver is the teacher
    tasks = []
    relay_sockets = []
    result: dict = {"label": label}
    started = time.perf_counter()
    for index, cookie in enumerate(cookies):
        url = member_urls[index % len(member_urls)]
        tasks.append(asyncio.create_task(client(run, index, url, cookie, started)))
    try:
        # 1. Everyone enters at once (the teacher last, so its welcome lists everyone).
        while run.welcomed < members:
            if time.perf_counter() - started > 180:
                raise TimeoutError(f"{run.welcomed} of {members} entered in 180 s")
            await asyncio.sleep(0.01)
        result["connect_s"] = time.perf_counter() - started
        times = sorted(r.connect_seconds for r in run.receivers[:members])
        result["connect_p99_s"] = times[min(len(times) - 1, int(len(times) * 0.99))]
        tasks.append(
            asyncio.create_task(client(run, members, teacher_url, teacher_cookie, time.perf_counter()))
        )
        await asyncio.wait_for(run.all_welcomed.wait(), timeout=60)
        for url in relays:
            relay_sockets.append(await _bare_socket(url, teacher_cookie))
        await asyncio.sleep(2)  # let the entries settle (participant updates) before measuring

        async def say(ws, text: str):
            line = json.dumps({"type": "chat.send", "text": text})
            for each in relay_sockets or [ws]:
                await each.send(line)

        # 2. Latency: one line every PACE seconds from the teacher.
        run.remaining["L"] = len(run.receivers) * MESSAGES
        for sequence in range(MESSAGES):
            await say(run.sockets[members], f"L{sequence} {time.time():.6f}")
            await asyncio.sleep(PACE)
        with contextlib.suppress(TimeoutError):  # what is missing by then counts as lost
            await asyncio.wait_for(run.phase_done["L"].wait(), timeout=15)

        # 3. Throughput: SENDERS members send BURST lines each, all at once.
        run.remaining["S"] = len(run.receivers) * SENDERS * BURST
        burst_started = time.time()

        async def burst(number: int):
            for k in range(BURST):
                await say(run.sockets[number], f"S{number}:{k} {time.time():.6f}")

        await asyncio.gather(*(burst(number) for number in range(SENDERS)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(run.phase_done["S"].wait(), timeout=30)
        seconds = max(run.last_arrival["S"] - burst_started, 1e-6)
        result["throughput_lines_s"] = SENDERS * BURST / seconds if run.phase_done["S"].is_set() else 0.0
        result["throughput_frames_s"] = result["throughput_lines_s"] * len(run.receivers)
    finally:
        # 4. Teardown: everyone leaves (and the accounts stay, whatever happened above).
        for ws in relay_sockets:
            await ws.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    expected = {f"L{s}" for s in range(MESSAGES)} | {
        f"S{n}:{k}" for n in range(SENDERS) for k in range(BURST)
    }
    lost = duplicates = 0
    worst = ""
    for index, receiver in enumerate(run.receivers):
        missing = expected - receiver.got.keys()
        twice = sum(count - 1 for count in receiver.got.values() if count > 1)
        lost += len(missing)
        duplicates += twice
        if (missing or twice) and not worst:
            who = "the teacher" if index == members else f"member {index}"
            worst = f"{who}: {len(missing)} missing ({', '.join(sorted(missing)[:3])}), {twice} twice"
    latencies = sorted(latency for r in run.receivers for latency in r.latencies) or [float("nan")]
    result.update(
        receivers=len(run.receivers),
        expected=len(expected) * len(run.receivers),
        lost=lost,
        duplicates=duplicates,
        worst=worst,
        refused=sum(len(r.refused) for r in run.receivers),
        refusals=sorted({m for r in run.receivers for m in r.refused})[:3],
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        max_ms=latencies[-1],
    )
    return result


async def _bare_socket(url: str, cookie: str):
    import websockets

    return await websockets.connect(url, additional_headers={"Cookie": f"sessionid={cookie}"})


def baseline_server(port: int) -> None:
    """The bare broadcast: every chat line from anyone goes to every connection, the sender too.
    /quiet connections (relays, when there are several processes) send but are not sent to."""
    import websockets
    from websockets.asyncio.server import serve

    clients = set()

    async def handler(ws):
        if ws.request.path != "/quiet":
            clients.add(ws)
        try:
            await ws.send(json.dumps({"type": "welcome"}))
            async for raw in ws:
                text = json.loads(raw)["text"]
                websockets.broadcast(clients, json.dumps({"type": "chat.message", "text": text}))
        except websockets.ConnectionClosed:
            pass  # the benchmark drops its clients when done
        finally:
            clients.discard(ws)

    async def main():
        async with serve(handler, "127.0.0.1", port, max_size=None):
            await asyncio.Future()

    asyncio.run(main())


def open_presence(session_id: int) -> int:
    """Presence intervals of the room still open in the database (everyone has left by now)."""
    from django.db import connections

    from lms.classroom.models import PresenceInterval

    try:
        return PresenceInterval.objects.filter(room__session_id=session_id, ended_at__isnull=True).count()
    finally:
        connections.close_all()


def print_run(r: dict) -> None:
    print(
        f"{r['label']:<26} connect {r.get('connect_s', float('nan')):5.1f} s "
        f"(p99 {r.get('connect_p99_s', float('nan')):4.1f} s)  "
        f"chat p50 {r['p50_ms']:6.1f} ms p99 {r['p99_ms']:7.1f} ms max {r['max_ms']:7.1f} ms  "
        f"throughput {r.get('throughput_lines_s', 0):6.0f} lines/s "
        f"({r.get('throughput_frames_s', 0):7.0f} frames/s)  "
        f"lost {r['lost']}/{r['expected']} twice {r['duplicates']} refused {r['refused']}",
        flush=True,
    )


def report(room: dict, bare: dict, log_errors: list[str], still_open: int, members: int, processes: int):
    """Print the figures, then judge; returns (ok, failures, figures)."""
    print(
        f"\n{members} members + the teacher reading, {MESSAGES} lines one every {PACE} s, then "
        f"{SENDERS}×{BURST} at once; {os.cpu_count()} cores, {processes} process(es), Redis, PostgreSQL"
    )
    p50_ratio = room["p50_ms"] / bare["p50_ms"]
    p99_ratio = room["p99_ms"] / bare["p99_ms"]
    throughput_ratio = room.get("throughput_lines_s", 0) / max(bare.get("throughput_lines_s", 0), 1e-9)
    print(
        f"{'ratio classroom/bare':<26} chat p50 {p50_ratio:.1f}×  p99 {p99_ratio:.1f}×  "
        f"throughput {throughput_ratio:.2f}×"
    )
    print(f"server log: {len(log_errors)} error line(s); presence left open: {still_open}")
    for line in log_errors[:5]:
        print(f"  {line}")
    failures = []
    connect = room.get("connect_s", float("inf"))
    if not connect <= CONNECT_GOAL:
        failures.append(f"{members} members took {connect:.1f} s to enter (goal ≤ {CONNECT_GOAL} s)")
    if not p99_ratio <= P99_RATIO_GOAL:
        failures.append(f"chat p99 is {p99_ratio:.1f}× the bare server's (goal ≤ {P99_RATIO_GOAL}×)")
    for r in (room, bare):
        if r["lost"] or r["duplicates"]:
            failures.append(f"{r['label']}: {r['lost']} lost, {r['duplicates']} twice ({r['worst']})")
        if r["refused"]:
            failures.append(f"{r['label']}: {r['refused']} refused: {r['refusals']}")
    if log_errors:
        failures.append(f"the server logged {len(log_errors)} error line(s): {log_errors[0][:120]}")
    if still_open:
        failures.append(f"{still_open} presence interval(s) still open after everyone left")
    figures = [
        {
            "name": f"connect {members} · total",
            "value": round(connect, 2),
            "unit": "s",
            "goal": f"<= {CONNECT_GOAL}",
            "ok": connect <= CONNECT_GOAL,
        },
        {"name": f"connect {members} · p99", "value": round(room.get("connect_p99_s", 0), 2), "unit": "s"},
        {"name": "bare connect · total", "value": round(bare.get("connect_s", 0), 2), "unit": "s"},
        {"name": "chat p50", "value": round(room["p50_ms"], 1), "unit": "ms"},
        {"name": "chat p99", "value": round(room["p99_ms"], 1), "unit": "ms"},
        {"name": "bare chat p99", "value": round(bare["p99_ms"], 1), "unit": "ms"},
        {
            "name": "chat p99 / bare",
            "value": round(p99_ratio, 2),
            "unit": "×",
            "goal": f"<= {P99_RATIO_GOAL}",
            "ok": p99_ratio <= P99_RATIO_GOAL,
        },
        {"name": "chat p50 / bare", "value": round(p50_ratio, 2), "unit": "×"},
        {"name": "throughput", "value": round(room.get("throughput_lines_s", 0)), "unit": "lines/s"},
        {"name": "throughput frames", "value": round(room.get("throughput_frames_s", 0)), "unit": "frames/s"},
        {"name": "bare throughput", "value": round(bare.get("throughput_lines_s", 0)), "unit": "lines/s"},
        {"name": "lost", "value": room["lost"], "goal": "0", "ok": room["lost"] == 0},
        {"name": "duplicates", "value": room["duplicates"], "goal": "0", "ok": room["duplicates"] == 0},
        {"name": "server errors", "value": len(log_errors), "goal": "0", "ok": not log_errors},
    ]
    return not failures, failures, figures


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--baseline-server":
        baseline_server(int(sys.argv[2]))
        return 0
    began = time.perf_counter()
    url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
        return 2
    numbers = [int(arg) for arg in sys.argv[1:] if arg.isdigit()]
    members = numbers[0] if numbers else 500
    processes = 1
    if "--processes" in sys.argv:
        after = sys.argv[sys.argv.index("--processes") + 1 :]
        processes = int(after[0]) if after and after[0].isdigit() else 2
        if after and after[0].isdigit() and len(numbers) == 1 and numbers[0] == processes:
            members = 500
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
    log_path = Path(tempfile.mkdtemp(prefix="classroom_fanout_")) / "servers.log"
    processes_started: list[subprocess.Popen] = []
    room = bare = None
    log_errors: list[str] = []
    still_open = -1
    try:
        with open(log_path, "w") as log:
            ports = [free_port() for _ in range(processes)]
            for port in ports:
                processes_started.append(start_uvicorn(bench_url, port, redis_url, prefix, log))
            urls = [f"ws://127.0.0.1:{port}/ws/classroom/{session_id}/" for port in ports]
            room = asyncio.run(exercise("classroom (Django+Redis)", urls, urls[0], cookies, teacher_cookie))
            print_run(room)
            time.sleep(3)  # the last presence batch is written about a second after the last leave
            still_open = open_presence(session_id)
            log.flush()
            log_errors = [line.rstrip() for line in log_path.open() if ERROR_PATTERNS.search(line)]

            bare_ports = [free_port() for _ in range(processes)]
            for port in bare_ports:
                command = [sys.executable, __file__, "--baseline-server", str(port)]
                processes_started.append(start(command, port, os.environ.copy(), log))
            bare_urls = [f"ws://127.0.0.1:{port}/member" for port in bare_ports]
            relays = [f"ws://127.0.0.1:{port}/quiet" for port in bare_ports] if processes > 1 else []
            bare_teacher = f"ws://127.0.0.1:{bare_ports[0]}/teacher"
            bare = asyncio.run(
                exercise(
                    "bare websockets broadcast", bare_urls, bare_teacher, cookies, teacher_cookie, relays
                )
            )
            print_run(bare)
    finally:
        for process in processes_started:
            stop(process)
        connections.close_all()
        if not os.environ.get("KEEP_DB"):
            server(url, drop(BENCH_DB))
        if room is None or bare is None:
            unfinished = {"bench": "classroom_fanout", "ok": False, "failures": ["did not finish"]}
            print(f"server log: {log_path}")
            print(f"BENCH {json.dumps(unfinished)}", flush=True)
    ok, failures, figures = report(room, bare, log_errors, still_open, members, processes)
    for failure in failures:
        print(f"FAILED: {failure}")
    print("OK: every check passed" if ok else f"{len(failures)} check(s) failed")
    summary = {
        "bench": "classroom_fanout",
        "ok": ok,
        "seconds": round(time.perf_counter() - began, 1),
        "figures": figures,
        "failures": failures,
    }
    print(f"BENCH {json.dumps(summary, ensure_ascii=False)}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

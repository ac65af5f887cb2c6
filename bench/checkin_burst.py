"""Benchmark QR sign-in under a burst: N members sign in to one session at once against a real
server (uvicorn, 2 workers, PostgreSQL), compared in the same run with a trivial view.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/checkin_burst.py [N]

It migrates a throwaway database (BENCH_DB, default `lms_bench_checkin`), creates a class whose
lecture is under way with N members enrolled (default 2,000), each with an API token, starts
uvicorn, then fires N GETs of /healthz/ and N sign-ins (`POST /api/v1/attendance/checkin`, plus
10 % repeated sign-ins of the same members, as double scans) from CONCURRENCY threads. It prints
throughput and p50/p99 latency of both, their ratio (goal: sign-in ≥ 30 % of the trivial view),
and checks that there are no duplicates and that every 2xx answer has its committed row.
"""

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from demo_members import create, database_url, drop, server  # noqa: E402

BENCH_DB = os.environ.get("BENCH_DB", "lms_bench_checkin")
CONCURRENCY = int(os.environ.get("CONCURRENCY", "64"))
GOAL_RATIO = 0.30
ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "LOG_LEVEL": "WARNING",
    "DB_POOL_SIZE": os.environ.get("DB_POOL_SIZE", "10"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(members: int):
    """A class under way with `members` enrolled; returns (session, [(member id, token)])."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from wagtail.models import APIToken

    from lms.people.models import Member
    from lms.scheduling.models import Enrollment, Session, SessionKind
    from tests import factories

    city = factories.city_school()
    town = factories.township_school(city, "基准镇党校")
    point = factories.teaching_point(town)
    branch = factories.BranchFactory(township=town, name="基准村党支部")
    teacher = factories.TeacherFactory()
    now = timezone.now()
    earlier = [SessionKind.SIGN_IN, SessionKind.ANTHEM, SessionKind.OATH, SessionKind.CONSTITUTION]
    sessions = [
        Session(kind=kind, starts_at=now - timedelta(hours=6 - i), ends_at=now - timedelta(hours=5 - i))
        for i, kind in enumerate(earlier)
    ]
    sessions.append(
        Session(
            kind=SessionKind.SITE_VISIT,
            starts_at=now - timedelta(hours=2),
            ends_at=now - timedelta(hours=1),
            teacher=teacher,
            teaching_point=point,
        )
    )
    sessions.append(
        Session(
            kind=SessionKind.LEADER_LECTURE,
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(hours=2),
            teacher=teacher,
        )
    )
    from lms.scheduling import services

    today = timezone.localdate()
    training_class = services.training_class_create(
        actor=None,
        school=town,
        title="签到压力测试班",
        start_date=today - timedelta(days=1),
        end_date=today + timedelta(days=1),
        sessions=sessions,
        capacity=members,
    )
    services.training_class_publish(actor=None, training_class=training_class)
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"1890{i:07d}", first_name=f"党员{i}", password="!") for i in range(members)]
    )
    rows = Member.objects.bulk_create(
        [Member(user=u, name=u.first_name, phone=u.username, branch=branch) for u in users]
    )
    Enrollment.objects.bulk_create([Enrollment(training_class=training_class, member=m) for m in rows])
    tokens = [(m.pk, APIToken.create_token(user=m.user, name="bench")[1]) for m in rows]
    lecture = training_class.sessions.get(kind=SessionKind.LEADER_LECTURE)
    return lecture, tokens


def start_server(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, **ENV, "DATABASE_URL": url}
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/uvicorn"),
            "lms.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--lifespan",
            "off",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )
    import requests

    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz/", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("uvicorn did not answer")


def burst(calls) -> tuple[float, list[float], list[int]]:
    """Run the calls from CONCURRENCY threads; (seconds, latencies in ms, status codes)."""
    import requests

    local = threading.local()

    def run(call):
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        started = time.perf_counter()
        status = call(session)
        return (time.perf_counter() - started) * 1000, status

    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        results = list(pool.map(run, calls))
    return time.perf_counter() - started, [r[0] for r in results], [r[1] for r in results]


def summary(label: str, seconds: float, latencies: list[float]) -> float:
    ordered = sorted(latencies)
    rate = len(ordered) / seconds
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    p50 = statistics.median(ordered)
    print(f"{label:<22}{len(ordered):>6} req  {rate:8.1f} req/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
    return rate


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
        return 2
    members = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    bench_url = database_url(url, BENCH_DB)
    os.environ.update({**ENV, "DATABASE_URL": bench_url, "DJANGO_SETTINGS_MODULE": "lms.settings"})
    server(url, drop(BENCH_DB), create(BENCH_DB))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from lms.attendance import qr
    from lms.attendance.models import AttendanceRecord

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    lecture, tokens = prepare(members)
    print(f"setup: {members} members enrolled with tokens in {time.perf_counter() - started:.1f} s")
    connections.close_all()
    port = free_port()
    process = start_server(bench_url, port)
    base = f"http://127.0.0.1:{port}"
    try:
        trivial_seconds, trivial_latencies, trivial_statuses = burst(
            [lambda s: s.get(f"{base}/healthz/").status_code] * members
        )

        def sign_in(token):
            def call(session):
                response = session.post(
                    f"{base}/api/v1/attendance/checkin",
                    json={"code": qr.code_for(lecture.pk)},
                    headers={"Authorization": f"Bearer {token}"},
                )
                return response.status_code

            return call

        calls = [sign_in(token) for _pk, token in tokens]
        calls += [sign_in(token) for _pk, token in tokens[::10]]  # double scans
        checkin_seconds, checkin_latencies, checkin_statuses = burst(calls)
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"concurrency {CONCURRENCY}, uvicorn 2 workers, PostgreSQL")
    trivial_rate = summary("GET /healthz/", trivial_seconds, trivial_latencies)
    checkin_rate = summary("POST checkin", checkin_seconds, checkin_latencies)
    ratio = checkin_rate / trivial_rate
    ok = sum(1 for s in checkin_statuses if 200 <= s < 300)
    rows = AttendanceRecord.objects.filter(session=lecture).count()
    duplicates = AttendanceRecord.objects.filter(session=lecture).values("member").distinct().count() != rows
    members_ok = rows == members
    print(f"{'ratio checkin/trivial':<22}{ratio:.2f} (goal ≥ {GOAL_RATIO:.2f})")
    print(
        f"{'2xx answers':<22}{ok} of {len(checkin_statuses)} (other: {sorted(set(checkin_statuses) - {200})})"
    )
    print(
        f"{'rows committed':<22}{rows} for {members} members; duplicates: {'yes' if duplicates else 'none'}"
    )
    print(f"{'trivial 2xx':<22}{sum(1 for s in trivial_statuses if s == 200)} of {len(trivial_statuses)}")
    connections.close_all()
    if not os.environ.get("BENCH_KEEP"):
        server(url, drop(BENCH_DB))
    passed = ratio >= GOAL_RATIO and ok == len(checkin_statuses) and members_ok and not duplicates
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark the on-demand player's heartbeats against a real server (uvicorn, 2 workers, PostgreSQL,
production settings), compared in the same run with /healthz/, a view that does nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/heartbeats.py [N]

It migrates a throwaway database (BENCH_DB, default `lms_bench_heartbeats`) with N members (default
2,000) watching a one-hour video at once, each with an API token and an open viewing. Then:

- `GET /healthz/` as fast as CONCURRENCY connections go, before and after (the faster is the baseline);
- SUSTAINED: ROUNDS rounds of 15 s in which every member sends one heartbeat (the next 15 s of the
  video) at their own moment of the round, i.e. N / 15 requests a second (133/s for 2,000), paced
  on up to PACE_CONNECTIONS connections: the rate achieved, p50/p99 and how late requests left;
- BURST: ten seconds later, every member's next heartbeat in the same moment (CONCURRENCY connections
  as fast as they go), every DOUBLE_EVERY-th member's twice at once (the same heartbeat racing itself).

Checks (each can fail): every answer 200; each heartbeat answered `credited_seconds` 15 except the
racing duplicate, of which exactly one credits 15 and the other 0; each member's committed seconds
watched equal 15 × their heartbeats, and their online study seconds the same (zero lost, none counted
twice); one progress row and one online-study row per member (updated in place); the burst's
throughput at least GOAL_RATIO of healthz's; while paced, at least SUSTAIN_GOAL (0.9) of the N / 15
heartbeats a second asked served, p99 under the heartbeat period.

It also prints the rows written (inserted and updated, PostgreSQL's own counters) per member-hour of
watching, and the machine's load average before and after. It prints one `BENCH {json}` line and
exits 1 when a check fails. BENCH_BREAK=pool starts the server with a pool of one connection per
worker and a one-second wait (DB_POOL_SIZE=1, DB_POOL_TIMEOUT=1) and, during the burst, holds the
viewing rows of the first members locked for five seconds, so their heartbeats hold the workers' only
connections: the overload must then show as 503 `busy` answers (never a 500) and the run must fail.
"""

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from checkin_burst import ENV as CHECKIN_ENV  # noqa: E402
from checkin_burst import HOST, Server, free_port  # noqa: E402
from demo_members import create, database_url, drop, server  # noqa: E402
from http_load import Answer, Connection, Request, burst, figures  # noqa: E402

BENCH_DB = os.environ.get("BENCH_DB", "lms_bench_heartbeats")
CONCURRENCY = int(os.environ.get("CONCURRENCY", "20"))
PACE_CONNECTIONS = int(os.environ.get("PACE_CONNECTIONS", "200"))
ROUNDS = int(os.environ.get("ROUNDS", "2"))
DOUBLE_EVERY = int(os.environ.get("DOUBLE_EVERY", "10"))
PERIOD = 15.0  # seconds between a member's heartbeats
GOAL_RATIO = float(os.environ.get("GOAL_RATIO", "0.2"))
SUSTAIN_GOAL = float(os.environ.get("SUSTAIN_GOAL", "0.9"))  # share of the asked rate served, paced
ENV = {**CHECKIN_ENV, "STATIC_ROOT": f"/tmp/{BENCH_DB}-static"}
TABLES = ("learning_viewing", "learning_watchprogress", "attendance_onlinestudy")


def prepare(members: int):
    """N members of one township, each with an API token and an open viewing of a ready one-hour
    video whose last heartbeat was a minute ago. Returns [(member_id, bearer, viewing_id)]."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from wagtail.models import APIToken

    from lms.learning.models import Viewing
    from lms.learning.services import viewing_token
    from lms.people.models import Member
    from lms.vod.models import Video, VideoStatus
    from tests import factories

    city = factories.city_school()
    town = factories.township_school(city, "基准镇党校")
    branch = factories.BranchFactory(township=town, name="基准村党支部")
    video = Video.objects.create(
        title="基准点播视频", school=town, status=VideoStatus.READY, duration=3600.0, published=True
    )
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"1891{i:07d}", first_name=f"观众{i:05d}", password="!") for i in range(members)]
    )
    rows = Member.objects.bulk_create(
        [Member(user=u, name=u.first_name, phone=u.username, branch=branch) for u in users]
    )
    earlier = timezone.now() - timedelta(minutes=1)
    viewings = Viewing.objects.bulk_create(
        [
            Viewing(member=m, video=video, token=f"bench{m.pk:08d}", started_at=earlier, last_beat_at=earlier)
            for m in rows
        ]
    )
    people = []
    for user, member, viewing in zip(users, rows, viewings, strict=True):
        token = APIToken.create_token(user=user, name="bench")[1]
        people.append((member.pk, token, viewing_token(viewing)))
    return video, people


def beat(person, index: int) -> Request:
    member_id, token, viewing = person
    start = index * PERIOD
    body = json.dumps({"intervals": [[start, start + PERIOD]], "position": start + PERIOD}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return Request("POST", f"/api/v1/viewings/{viewing}/heartbeat", headers, body, tag=(member_id, index))


async def _paced(port: int, schedule: list[tuple[float, Request]], connections: int):
    """Send each request at its moment (seconds from now) on a pool of keep-alive connections."""
    queue: asyncio.Queue = asyncio.Queue()
    for item in sorted(schedule, key=lambda item: item[0]):
        queue.put_nowait(item)
    answers: list[Answer] = []
    errors: list[str] = []
    lateness: list[float] = []
    started = time.perf_counter()

    async def worker():
        conn = Connection(HOST, port)
        try:
            while not queue.empty():
                at, request = queue.get_nowait()
                wait = started + at - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                lateness.append(max(0.0, time.perf_counter() - started - at) * 1000)
                try:
                    answers.append(await conn.send(request))
                except Exception as error:
                    errors.append(f"{request.path}: {error!r}")
                    answers.append(Answer(request, 0, {}, b"", 0.0))
                    await conn.close()
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return time.perf_counter() - started, answers, errors, lateness


def table_counters(cursor) -> dict[str, int]:
    cursor.execute(
        "SELECT relname, n_tup_ins, n_tup_upd FROM pg_stat_user_tables WHERE relname = ANY(%s)",
        [list(TABLES)],
    )
    return {name: (ins, upd) for name, ins, upd in cursor.fetchall()}


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
        return 2
    members = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    bench_url = database_url(url, BENCH_DB)
    os.environ.update({**ENV, "DATABASE_URL": bench_url, "DJANGO_SETTINGS_MODULE": "lms.settings"})
    os.environ.pop("DB_POOL_SIZE")
    if os.environ.get("BENCH_BREAK") == "pool":
        CHECKIN_ENV["DB_POOL_SIZE"] = "1"  # the server's environment (checkin_burst.Server)
        os.environ["DB_POOL_TIMEOUT"] = "1"
    server(url, drop(BENCH_DB), create(BENCH_DB))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results: dict = {"bench": "heartbeats", "members": members}
    figs: dict = {}
    rows: list[tuple[str, object]] = []
    failures: list[str] = []
    srv = None

    def report():
        print(
            f"\nuvicorn 2 workers, PostgreSQL, {members} members watching, one heartbeat every {PERIOD:.0f} s"
        )
        base = max((figs[k].rate for k in ("healthz", "healthz_after") if k in figs), default=0)
        out = []
        for key, fig in figs.items():
            ratio = f"{fig.rate / base:5.2f}×" if base and not key.startswith("healthz") else ""
            print(
                f"{fig.label:<34}{fig.requests:>6} req {fig.rate:8.1f} req/s  p50 {fig.p50:7.1f} ms"
                f"  p99 {fig.p99:7.1f} ms  {ratio}"
            )
            out += [
                {"name": f"{key} req/s", "value": round(fig.rate, 1)},
                {"name": f"{key} p99", "value": round(fig.p99, 1), "unit": "ms"},
            ]
        if base and "burst" in figs:
            ratio = figs["burst"].rate / base
            ok = ratio >= GOAL_RATIO
            out.append(
                {"name": "burst / healthz", "value": round(ratio, 3), "goal": f">= {GOAL_RATIO}", "ok": ok}
            )
            if not ok:
                failures.append(f"burst throughput {ratio:.2f} of healthz, below {GOAL_RATIO}")
        for label, value in rows:
            print(f"{label:<34}{value}")
            if isinstance(value, int | float):
                out.append({"name": label, "value": value})
        for failure in failures:
            print(f"FAILED: {failure}")
        results.update(ok=not failures, figures=out, failures=failures)
        print("BENCH " + json.dumps(results, ensure_ascii=False))

    try:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        rows.append(("load average before (1/5/15 min)", "{:.1f} / {:.1f} / {:.1f}".format(*os.getloadavg())))
        started = time.perf_counter()
        _video, people = prepare(members)
        rows.append(("setup", f"{members} members, {time.perf_counter() - started:.0f} s"))
        connections.close_all()
        port = free_port()
        srv = Server(bench_url, port, Path(f"/tmp/{BENCH_DB}-uvicorn.log"))
        rows.append(("workers answering", ", ".join(sorted(srv.warm()))))

        def timed(key, label, jobs, concurrency=CONCURRENCY):
            seconds, answers, errors = burst(HOST, port, jobs, concurrency)
            figs[key] = figures(label, seconds, answers)
            if errors:
                failures.append(f"{label}: {len(errors)} transport errors, e.g. {errors[0]}")
            return answers

        healthz = [[Request("GET", "/healthz/")] for _ in range(max(members, 2000))]
        timed("healthz_warm", "GET /healthz/ (warm-up)", healthz[:400])
        figs.pop("healthz_warm")
        timed("healthz", "GET /healthz/", healthz)
        with connection.cursor() as cursor:
            before = table_counters(cursor)

        # Sustained: every member once per 15 s, spread evenly over the round.
        schedule = [
            (round_ * PERIOD + i * PERIOD / len(people), beat(person, round_))
            for round_ in range(ROUNDS)
            for i, person in enumerate(people)
        ]
        seconds, sustained, errors, lateness = asyncio.run(_paced(port, schedule, PACE_CONNECTIONS))
        figs["sustained"] = figures(f"POST heartbeat, paced {len(people) / PERIOD:.0f}/s", seconds, sustained)
        lateness.sort()
        rows.append(("sustained: requests left late p99", f"{lateness[int(len(lateness) * 0.99)]:.0f} ms"))
        if errors:
            failures.append(f"sustained: {len(errors)} transport errors, e.g. {errors[0]}")
        asked = len(people) / PERIOD
        if figs["sustained"].rate < SUSTAIN_GOAL * asked:
            failures.append(
                f"sustained: {figs['sustained'].rate:.0f} heartbeats/s of the {asked:.0f}/s asked "
                f"(below {SUSTAIN_GOAL:.0%}): the server does not keep up with {len(people)} watchers"
            )
        if figs["sustained"].p99 > PERIOD * 1000:
            failures.append(f"sustained p99 {figs['sustained'].p99:.0f} ms longer than the heartbeat period")

        # The burst: ten seconds on, everybody's next heartbeat at once; some twice, racing.
        time.sleep(10)
        jobs = []
        for i, person in enumerate(people):
            request = beat(person, ROUNDS)
            jobs.append([request, beat(person, ROUNDS)] if i % DOUBLE_EVERY == 0 else [request])
        held = hold_viewings(bench_url, [member_id for member_id, _t, _v in people[:20]])
        burst_answers = timed("burst", f"POST heartbeat, burst of {len(people)}", jobs)
        if held is not None:
            held.join()
        timed("healthz_after", "GET /healthz/ (again)", healthz)

        failures += check(people, sustained + burst_answers)
        with connection.cursor() as cursor:
            after = table_counters(cursor)
        inserted = sum(after[t][0] - before.get(t, (0, 0))[0] for t in after)
        updated = sum(after[t][1] - before.get(t, (0, 0))[1] for t in after)
        # Inserts happen once per member and video (the first heartbeat: progress and online study);
        # after that each heartbeat updates the same rows in place.
        beats = members * (ROUNDS + 1)
        rows.append(("rows inserted per member", round(inserted / members, 2)))
        rows.append(("row updates per heartbeat", round(updated / beats, 2)))
        rows.append(("rows written per member-hour", round(updated / beats * 3600 / PERIOD, 1)))
        rows.append(("rows kept per member and video", 2))
        rows.append(("load average after (1/5/15 min)", "{:.1f} / {:.1f} / {:.1f}".format(*os.getloadavg())))
    except BaseException as error:
        failures.append(f"run stopped: {error!r}")
        if not isinstance(error, Exception):
            raise
    finally:
        if srv is not None:
            srv.stop()
        connections.close_all()
        report()
        if not os.environ.get("BENCH_KEEP"):
            server(url, drop(BENCH_DB))
    return 0 if not failures else 1


def hold_viewings(url: str, member_ids: list[int], seconds: float = 5.0):
    """BENCH_BREAK=pool: lock these members' viewing rows for `seconds` (a thread; None otherwise)."""
    if os.environ.get("BENCH_BREAK") != "pool":
        return None
    import threading

    import psycopg

    conn = psycopg.connect(url)
    conn.execute("SELECT 1 FROM learning_viewing WHERE member_id = ANY(%s) FOR UPDATE", [member_ids])

    def release():
        time.sleep(seconds)
        conn.rollback()
        conn.close()

    thread = threading.Thread(target=release)
    thread.start()
    return thread


def busy(answer) -> bool:
    """A 503 that says the server is busy and when to send again."""
    try:
        code = json.loads(answer.body).get("code")
    except ValueError:
        return False
    return answer.status == 503 and "retry-after" in answer.headers and code == "busy"


def check(people, answers) -> list[str]:
    """What the server answered and committed: every heartbeat credited once, none lost."""
    from django.db.models import Count

    from lms.attendance.models import OnlineStudy
    from lms.learning.models import WatchProgress

    failures = []
    statuses: dict[int, int] = {}
    credited: dict[tuple[int, int], list[int]] = {}
    for answer in answers:
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
        if answer.status == 200:
            credited.setdefault(answer.request.tag, []).append(json.loads(answer.body)["credited_seconds"])
    if set(statuses) != {200}:
        failures.append(f"answers by status {statuses}")
    # An overload must say so (503 busy with Retry-After, so the player sends again), never a 500.
    unclear = [a for a in answers if a.status >= 500 and not busy(a)]
    if unclear:
        failures.append(f"{len(unclear)} server errors that are not 503 busy, e.g. {unclear[0].status}")
    wrong = [tag for tag, values in credited.items() if sorted(values)[-1] != PERIOD or sum(values) != PERIOD]
    if wrong:
        failures.append(
            f"{len(wrong)} heartbeats not credited exactly once, e.g. {wrong[0]} {credited[wrong[0]]}"
        )
    expected = {member_id: 0 for member_id, _t, _v in people}
    for member_id, _index in credited:
        expected[member_id] += int(PERIOD)
    progress = dict(WatchProgress.objects.values_list("member_id", "watched_seconds"))
    study = dict(OnlineStudy.objects.values_list("member_id", "seconds"))
    lost = sum(progress.get(m, 0) != seconds for m, seconds in expected.items())
    if lost:
        failures.append(f"{lost} members whose watched seconds differ from what their heartbeats carried")
    if sum(study.get(m, 0) != seconds for m, seconds in expected.items()):
        failures.append("online study seconds differ from the heartbeats'")
    for model in (WatchProgress, OnlineStudy):
        many = model.objects.values("member_id").annotate(n=Count("pk")).filter(n__gt=1).count()
        if many:
            failures.append(f"{many} members with more than one {model._meta.model_name} row")
    return failures


if __name__ == "__main__":
    sys.exit(main())

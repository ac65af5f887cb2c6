"""Benchmark QR sign-in and the member pages under a burst, against a real server (uvicorn, 2 workers,
PostgreSQL, production settings), each compared in the same run with /healthz/, a view that does
nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/checkin_burst.py [N]

It migrates a throwaway database (BENCH_DB, default `lms_bench_checkin`) and builds a township whose
class is under way: its lecture started five minutes ago, N members (default 1,000) are enrolled, each
with an API token, a logged-in browser session and five years of past classes (one class a year, a
class earlier this year with 0–6 sessions attended, a class coming up). Then it starts uvicorn in a
process group of its own, warms BOTH workers (the healthz answer says which process answered) and
times, with CONCURRENCY workers (default 20) on keep-alive connections:

- `GET /healthz/` before each measured group and once after the last: each group's ratio is to the
  faster of the two healthz runs around it (the same minute of the same server; on this shared
  machine healthz alone moved 361 → 468 req/s within one run), and the ratio to the fastest healthz
  of the whole run is printed and kept too (`<key>_ratio_run`);
- sign-in through the JSON API (`POST /api/v1/attendance/checkin`, bearer token) for half the members
  and through the page a phone opens after scanning (`GET /checkin/<code>/`, session cookie) for the
  other half. Every DOUBLE_EVERY-th member scans twice AT THE SAME MOMENT (both requests written on
  two connections in the same loop turn), so the double scan races the first one;
- the member pages `/me/`, `/me/classes/` and `/me/hours/`, each member's own, after the sign-ins
  (each was opened once before, so a per-member cache that a sign-in fails to refresh shows stale
  hours and fails the check).

Checks, from what the server answered and what it committed (each can fail):
- every answer 200; per member exactly one answer says created (`"created": true` in the JSON,
  `data-created="true"` on the page) and the racing one says not created, both with the same record;
- one row per member, status and minutes as the credit rule gives for the row's sign-in time, source
  QR, one history row per record; the status and minutes answered equal the row's;
- each member page shows that member (name, calendar link, this year's hours summed from the rows);
- ratios against healthz: API ≥ 0.4, HTML ≥ 0.4, each member page ≥ 0.5.

It also times `/bench/login-floor/` (bench/floor_app.py: a logged-in page that only loads the session
and the user), the most any member page can reach here, and prints each page's ratio to it too.

It prints every figure collected even when a step fails, stops the whole server process group
(never leaves a worker behind), prints one `BENCH {json}` line for `make bench` and exits 1 when a
check fails. BENCH_BREAK=unique drops the one-record-per-member-and-session constraint in the
throwaway database first, so racing scans can write two rows: the run must then fail.
"""

import atexit
import contextlib
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from demo_members import create, database_url, drop, server  # noqa: E402
from http_load import Request, burst, figures, one  # noqa: E402

BENCH_DB = os.environ.get("BENCH_DB", "lms_bench_checkin")
CONCURRENCY = int(os.environ.get("CONCURRENCY", "20"))
DOUBLE_EVERY = int(os.environ.get("DOUBLE_EVERY", "5"))  # every 5th member scans twice at once
HISTORY_YEARS = int(os.environ.get("HISTORY_YEARS", "5"))
PAGES_MAX = int(os.environ.get("PAGES_MAX", "600"))  # member page requests per page
GOALS = {"api": 0.4, "html": 0.4, "me": 0.5, "me_classes": 0.5, "me_hours": 0.5}
ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "LOG_LEVEL": "WARNING",
    "DB_POOL_SIZE": os.environ.get("DB_POOL_SIZE", "10"),
    "STATIC_ROOT": f"/tmp/{BENCH_DB}-static",  # collected (hashed names, compressed) as in production
}
PAGES = {"me": "/me/", "me_classes": "/me/classes/", "me_hours": "/me/hours/"}
HOST = "127.0.0.1"


@dataclass
class Person:
    member_id: int
    user_id: int
    name: str
    token: str
    session_key: str
    via: str = "api"  # or "html"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- The county ------------------------------------------------------------------------------------


def prepare(members: int, warmup: int):
    """A class under way with `members` + `warmup` enrolled, each with history; returns (lecture,
    measured people, warm-up people)."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session as LoginSession
    from django.utils import timezone
    from django.utils.crypto import get_random_string
    from wagtail.models import APIToken

    from lms.attendance.models import AttendanceRecord, AttendanceSource, AttendanceStatus
    from lms.people.models import Member
    from lms.people.roles import Role
    from lms.people.services import roles_ensure
    from lms.scheduling import services
    from lms.scheduling.models import Enrollment, Session, SessionKind
    from tests import factories

    city = factories.city_school()
    town = factories.township_school(city, "基准镇党校")
    point = factories.teaching_point(town)
    branch = factories.BranchFactory(township=town, name="基准村党支部")
    teacher = factories.TeacherFactory()
    history_teacher = factories.TeacherFactory()
    now = timezone.now()
    today = timezone.localdate()
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
    total = members + warmup
    current = services.training_class_create(
        actor=None,
        school=town,
        title="签到压力测试班",
        start_date=today - timedelta(days=1),
        end_date=today + timedelta(days=1),
        sessions=sessions,
        capacity=total,
    )
    services.training_class_publish(actor=None, training_class=current)
    past = [
        factories.training_class(
            town, today - timedelta(days=365 * y + 20), teacher=history_teacher, point=point, publish=True
        )
        for y in range(HISTORY_YEARS + 1)
    ]  # y = 0: a class 20 days ago
    coming = factories.training_class(
        town, today + timedelta(days=10), teacher=history_teacher, point=point, publish=True, capacity=total
    )
    factories.training_class(  # open to join
        town,
        today + timedelta(days=20),
        teacher=history_teacher,
        point=point,
        publish=True,
        capacity=total,
        self_enrolment=True,
    )
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"1890{i:07d}", first_name=f"党员{i:05d}", password="!") for i in range(total)]
    )
    rows = Member.objects.bulk_create(
        [Member(user=u, name=u.first_name, phone=u.username, branch=branch) for u in users]
    )
    group = roles_ensure()[Role.MEMBER]
    User.groups.through.objects.bulk_create([User.groups.through(user=u, group=group) for u in users])
    Enrollment.objects.bulk_create(
        [Enrollment(training_class=c, member=m) for c in [current, coming, *past] for m in rows]
    )
    records = []
    for training_class in past:
        sessions = list(training_class.sessions.order_by("starts_at"))
        for i, member in enumerate(rows):
            # The class 20 days ago: 0–6 sessions attended, so the hours differ from member to member.
            attended = sessions[: i % 7] if training_class is past[0] else sessions
            records += [
                AttendanceRecord(
                    session=s,
                    member=member,
                    status=AttendanceStatus.PRESENT,
                    source=AttendanceSource.ROLL_CALL,
                    minutes=int((s.ends_at - s.starts_at).total_seconds() // 60),
                    marked_at=s.ends_at,
                )
                for s in attended
            ]
    AttendanceRecord.objects.bulk_create(records, batch_size=5000)
    logins = []
    expires = now + timedelta(days=14)
    people = []
    for i, (user, member) in enumerate(zip(users, rows, strict=True)):
        key = get_random_string(32)
        data = {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": "lms.people.backends.ProfileBackend",
            "_auth_user_hash": user.get_session_auth_hash(),
        }
        logins.append(
            LoginSession(session_key=key, session_data=SessionStore().encode(data), expire_date=expires)
        )
        token = APIToken.create_token(user=user, name="bench")[1]
        people.append(
            Person(member.pk, user.pk, user.first_name, token, key, via="api" if i % 2 == 0 else "html")
        )
    LoginSession.objects.bulk_create(logins)
    lecture = current.sessions.get(kind=SessionKind.LEADER_LECTURE)
    return lecture, current, people[warmup:], people[:warmup]


# --- The server ------------------------------------------------------------------------------------


class Server:
    """uvicorn with 2 workers in a process group of its own, stopped as a group whatever happens."""

    def __init__(self, url: str, port: int, log: Path):
        self.port = port
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/uvicorn"),
                "floor_app:application",  # lms.asgi plus /bench/login-floor/ (see bench/floor_app.py)
                "--app-dir",
                str(ROOT / "bench"),
                "--host",
                HOST,
                "--port",
                str(port),
                "--workers",
                "2",
                "--lifespan",
                "off",
                "--no-access-log",
            ],
            cwd=ROOT,
            env={**os.environ, **ENV, "DATABASE_URL": url},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        atexit.register(self.stop)

    def stop(self) -> None:
        if self.process.poll() is None:
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # The workers are in the group too: make sure none outlived the master.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()

    def warm(self, timeout: float = 60) -> set[str]:
        """Wait until both workers have answered /healthz/ (fresh connections land on either)."""
        workers: set[str] = set()
        deadline = time.monotonic() + timeout
        while len(workers) < 2:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn: {len(workers)} of 2 workers answered (see {self.log.name})")
            try:
                answer = one(HOST, self.port, Request("GET", "/healthz/"))
                if answer.status == 200:
                    workers.add(answer.headers.get("x-worker", ""))
            except OSError:
                time.sleep(0.2)
        return workers


# --- Requests and their checks ----------------------------------------------------------------------


def api_scan(person: Person, code) -> Request:
    body = json.dumps({"code": code()}).encode()
    headers = {"Authorization": f"Bearer {person.token}", "Content-Type": "application/json"}
    return Request("POST", "/api/v1/attendance/checkin", headers, body, tag=person)


def html_scan(person: Person, code) -> Request:
    return Request("GET", f"/checkin/{code()}/", {"Cookie": f"sessionid={person.session_key}"}, tag=person)


def page(person: Person, path: str) -> Request:
    return Request("GET", path, {"Cookie": f"sessionid={person.session_key}"}, tag=person)


RESULT = re.compile(r'data-testid="checkin-result"([^>]*)>')
ATTR = re.compile(r'data-([a-z]+)="([^"]*)"')


def scan_result(answer) -> dict:
    """(record id, created, status, minutes) as the server answered, from the JSON or the page."""
    if answer.status != 200:
        return {}
    if answer.request.method == "POST":
        data = json.loads(answer.body)
        return {k: data.get(k) for k in ("id", "created", "status", "minutes")}
    match = RESULT.search(answer.body.decode())
    attrs = dict(ATTR.findall(match.group(1))) if match else {}
    if "record" not in attrs:
        return {}
    return {
        "id": int(attrs["record"]),
        "created": attrs.get("created") == "true",
        "status": attrs.get("status"),
        "minutes": int(attrs.get("minutes", -1)),
    }


def check_scans(lecture, people, answers, warmup_people) -> list[str]:
    """What the server answered and committed agrees: one created per member, one row, right values."""
    from django.db.models import Count

    from lms.attendance import credit
    from lms.attendance.models import AttendanceChange, AttendanceRecord, AttendanceSource

    failures = []
    by_member: dict[int, list[dict]] = {}
    refused: dict[str, int] = {}
    for answer in answers:
        result = scan_result(answer)
        if not result:
            key = f"{answer.request.method} {answer.request.path.split('/')[1]} → {answer.status}"
            refused[key] = refused.get(key, 0) + 1
            continue
        by_member.setdefault(answer.request.tag.member_id, []).append(result)
    failures += [f"{count} sign-ins answered {key}" for key, count in refused.items()]
    rows = {
        r.member_id: r
        for r in AttendanceRecord.objects.filter(session=lecture).annotate(changes_count=Count("changes"))
    }
    row_counts = AttendanceRecord.objects.filter(session=lecture).values("member").annotate(n=Count("id"))
    duplicates = [r["member"] for r in row_counts if r["n"] > 1]
    if duplicates:
        failures.append(f"{len(duplicates)} members have more than one record")
    expected_rows = len(people) + len(warmup_people)
    total = AttendanceRecord.objects.filter(session=lecture).count()
    if total != expected_rows:
        failures.append(f"{total} records for {expected_rows} members who signed in")
    bad_created = bad_rows = bad_answers = missing = 0
    for person in people:
        results = by_member.get(person.member_id, [])
        row = rows.get(person.member_id)
        if row is None:
            missing += 1
            continue
        if sum(1 for r in results if r["created"]) != 1:
            bad_created += 1
        if any(
            r["id"] != row.pk or r["status"] != row.status or r["minutes"] != row.minutes for r in results
        ):
            bad_answers += 1
        state = credit.window_state(lecture, row.checked_in_at)
        status = "late" if state == "late" else "present"
        if (
            row.status != status
            or row.minutes != credit.minutes_for(lecture, status, arrived_at=row.checked_in_at)
            or row.source != AttendanceSource.QR
            or row.changes_count != 1
        ):
            bad_rows += 1
    if missing:
        failures.append(f"{missing} members signed in without a record")
    if bad_created:
        failures.append(f"{bad_created} members without exactly one 'created' answer")
    if bad_answers:
        failures.append(f"{bad_answers} members answered a record, status or minutes not the row's")
    if bad_rows:
        failures.append(f"{bad_rows} records with a wrong status, minutes, source or history")
    changes = AttendanceChange.objects.filter(record__session=lecture).count()
    if changes != total:
        failures.append(f"{changes} history rows for {total} records")
    return failures


def hours_text(minutes: int) -> str:
    return str((Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def check_pages(name: str, answers, this_year_minutes: dict[int, int], tokens: dict[int, str]) -> list[str]:
    """Each member's page shows that member: name on /me/, their calendar link on /me/classes/,
    this year's hours summed from the committed rows on /me/hours/."""
    wrong = 0
    statuses = set()
    for answer in answers:
        person = answer.request.tag
        text = answer.body.decode(errors="replace")
        if answer.status != 200:
            statuses.add(answer.status)
            wrong += 1
        elif name == "me":
            wrong += person.name not in text
        elif name == "me_classes":
            wrong += f"/calendar/{tokens.get(person.user_id)}.ics" not in text
        elif name == "me_hours":
            shown = re.search(r'data-testid="counted-hours">([\d.]+)<', text)
            if not shown or shown.group(1) != hours_text(this_year_minutes.get(person.member_id, 0)):
                wrong += 1
    return (
        [f"{PAGES[name]}: {wrong} of {len(answers)} answers wrong (statuses {sorted(statuses)})"]
        if wrong
        else []
    )


# --- The run -------------------------------------------------------------------------------------


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
        return 2
    members = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    warmup = 4 * CONCURRENCY
    bench_url = database_url(url, BENCH_DB)
    os.environ.update({**ENV, "DATABASE_URL": bench_url, "DJANGO_SETTINGS_MODULE": "lms.settings"})
    os.environ.pop("DB_POOL_SIZE")  # the bench process itself: plain connections
    server(url, drop(BENCH_DB), create(BENCH_DB))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from django.utils import timezone

    from lms.attendance import qr
    from lms.attendance.models import ATTENDED_STATUSES, AttendanceRecord
    from lms.attendance.selectors import year_bounds
    from lms.scheduling.models import CalendarToken

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results: dict = {"name": "checkin_burst", "members": members, "concurrency": CONCURRENCY}
    if os.environ.get("BENCH_ONE_HOP"):
        results["server"] = "one-hop sync middleware chain (experiment, bench/floor_app.py)"
    rows: list[tuple[str, object]] = []
    failures: list[str] = []
    figs = {}
    baselines = []  # the healthz runs, in order
    between: dict[str, tuple[int, int]] = {}  # a measured group: the healthz runs before and after it
    srv = None

    def report():
        print(f"\nconcurrency {CONCURRENCY}, uvicorn 2 workers, PostgreSQL, {members} members")
        rates = [fig.rate for fig in baselines]
        fastest = max(rates, default=0)
        floor = figs["floor"].rate if "floor" in figs else 0
        if rates:
            print(
                f"{'GET /healthz/':<26}{len(rates):>3} runs  {min(rates):.1f}–{fastest:.1f} req/s"
                f" (p50 {statistics.median(fig.p50 for fig in baselines):.1f} ms)"
            )
            results["healthz_rps"] = round(fastest, 1)
            results["healthz_rps_min"] = round(min(rates), 1)
        for key, fig in figs.items():
            around = [baselines[i].rate for i in between.get(key, ()) if i < len(baselines)]
            base = max(around, default=0)
            ratio = f"{fig.rate / base:5.2f}×" if base else ""
            if floor and key in GOALS:
                ratio += f" ({fig.rate / floor:4.2f}× floor)"
                results[f"{key}_floor_ratio"] = round(fig.rate / floor, 3)
            goal = f"(goal ≥ {GOALS[key]:.2f})" if key in GOALS else ""
            print(
                f"{fig.label:<26}{fig.requests:>6} req {fig.rate:8.1f} req/s  p50 {fig.p50:7.1f} ms"
                f"  p99 {fig.p99:7.1f} ms  {ratio:<20} {goal}"
                + (
                    f"  (healthz around: {base:.0f}; run's fastest {fig.rate / fastest:4.2f}×)"
                    if base
                    else ""
                )
            )
            results[f"{key}_rps"] = round(fig.rate, 1)
            results[f"{key}_p50_ms"] = round(fig.p50, 1)
            results[f"{key}_p99_ms"] = round(fig.p99, 1)
            if base:
                results[f"{key}_ratio"] = round(fig.rate / base, 3)
                results[f"{key}_baseline_rps"] = round(base, 1)
                results[f"{key}_ratio_run"] = round(fig.rate / fastest, 3)
        for label, value in rows:
            print(f"{label:<26}{value}")
        for key, goal in GOALS.items():
            ratio = results.get(f"{key}_ratio")
            if ratio is not None and ratio < goal:
                failures.append(f"{key} ratio {ratio:.2f} below {goal:.2f}")
            elif ratio is None:
                failures.append(f"{key} not measured")
        for failure in failures:
            print(f"FAILED: {failure}")
        results["passed"] = not failures
        results["failures"] = "; ".join(failures)
        print("BENCH " + json.dumps(results, ensure_ascii=False))

    try:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if os.environ.get("BENCH_BREAK") == "unique":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT conname FROM pg_constraint"
                    " WHERE conrelid = 'attendance_attendancerecord'::regclass AND contype = 'u'"
                )
                for (name,) in cursor.fetchall():
                    cursor.execute(f'ALTER TABLE attendance_attendancerecord DROP CONSTRAINT "{name}"')
            rows.append(("BENCH_BREAK", "unique constraint dropped: this run must fail"))
        started = time.perf_counter()
        lecture, _class, people, warm_people = prepare(members, warmup)
        rows.append(
            (
                "setup",
                f"{members} members (+{warmup} warm-up), {HISTORY_YEARS} years of history, "
                f"{time.perf_counter() - started:.0f} s",
            )
        )
        connections.close_all()
        port = free_port()
        srv = Server(bench_url, port, Path(f"/tmp/{BENCH_DB}-uvicorn.log"))
        workers = srv.warm()
        rows.append(("workers answering", ", ".join(sorted(workers))))
        results["load_before"] = round(os.getloadavg()[0], 2)  # the machine is shared: say how busy

        def code():
            return qr.code_for(lecture.pk)

        def timed(key, label, jobs):
            seconds, answers, errors = burst(HOST, port, jobs, CONCURRENCY)
            figs[key] = figures(label, seconds, answers)
            if errors:
                failures.append(f"{label}: {len(errors)} transport errors, e.g. {errors[0]}")
            return answers

        def baseline():
            """A healthz run between two measured groups (the one after a group is the next one's
            before)."""
            seconds, answers, errors = burst(HOST, port, healthz, CONCURRENCY)
            baselines.append(figures("GET /healthz/", seconds, answers))
            if errors or any(a.status != 200 for a in answers):
                failures.append("healthz answered other than 200")

        def measured(key, label, jobs):
            baseline()
            between[key] = (len(baselines) - 1, len(baselines))
            return timed(key, label, jobs)

        # Warm every kind of request on both workers (fresh connections), with warm-up members only.
        warm_jobs = [[Request("GET", "/healthz/")] for _ in range(4 * CONCURRENCY)]
        for person in warm_people:
            warm_jobs.append([(api_scan if person.via == "api" else html_scan)(person, code)])
            warm_jobs += [[page(person, path)] for path in PAGES.values()]
        _s, answers, errors = burst(HOST, port, warm_jobs, 2 * CONCURRENCY)
        if errors or any(a.status != 200 for a in answers):
            bad = sum(a.status != 200 for a in answers)
            failures.append(
                f"warm-up: {bad} answers not 200 {sorted({a.status for a in answers})} {errors[:1]}"
            )
        # Each measured member's pages once before signing in, as a member who looks at them now and
        # then (the calendar link exists; a cache a sign-in fails to refresh shows stale hours later).
        burst(
            HOST, port, [[page(p, path)] for p in people[:PAGES_MAX] for path in PAGES.values()], CONCURRENCY
        )

        healthz = [[Request("GET", "/healthz/")] for _ in people]
        floor = measured(
            "floor", "GET /bench/login-floor/", [[page(p, "/bench/login-floor/")] for p in people[:PAGES_MAX]]
        )
        if any(a.status != 200 or a.request.tag.name not in a.body.decode() for a in floor):
            failures.append("the login floor answered other than each member's name")

        scans = {"api": [], "html": []}
        for i, person in enumerate(people):
            make = api_scan if person.via == "api" else html_scan
            job = [make(person, code)] * (2 if i % DOUBLE_EVERY == 0 else 1)
            scans[person.via].append([make(person, code) for _ in job])
        doubles = sum(len(job) == 2 for jobs in scans.values() for job in jobs)
        rows.append(("double scans racing", f"{doubles} members scan twice at the same moment"))
        scan_answers = measured("api", "POST /api/v1/…/checkin", scans["api"])
        scan_answers += measured("html", "GET /checkin/<code>/", scans["html"])

        chosen = people[:PAGES_MAX]
        page_answers = {}
        for key, path in PAGES.items():
            page_answers[key] = measured(key, f"GET {path}", [[page(p, path)] for p in chosen])
        baseline()
        results["load_after"] = round(os.getloadavg()[0], 2)
        load = f"{results['load_before']} before, {results['load_after']} after"
        rows.append(("load average (1 min)", load))

        failures += check_scans(lecture, people, scan_answers, warm_people)
        start, end = year_bounds(timezone.localdate().year)
        this_year: dict[int, int] = {}
        for member_id, minutes in AttendanceRecord.objects.filter(
            member_id__in=[p.member_id for p in chosen],
            status__in=ATTENDED_STATUSES,
            session__starts_at__gte=start,
            session__starts_at__lt=end,
        ).values_list("member_id", "minutes"):
            this_year[member_id] = this_year.get(member_id, 0) + minutes
        tokens = dict(CalendarToken.objects.values_list("user_id", "token"))
        for key, answers in page_answers.items():
            failures += check_pages(key, answers, this_year, tokens)
        rows.append(("records committed", AttendanceRecord.objects.filter(session=lecture).count()))
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


if __name__ == "__main__":
    sys.exit(main())

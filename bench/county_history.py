"""Build the county-scale databases the staff-page benchmark measures: 20,000 members and 1, 5, 10 years.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/county_history.py

DATABASE_URL only names the PostgreSQL server and credentials; the script works in its `postgres`
database and builds, one from the other:

    lms_county_1y    migrate + `manage.py demo --members 20000` (a year of held classes, ~56,000
                     attendance records, classes planned three months ahead) + one big class
                     (below)
    lms_county_5y    a copy of 1y (CREATE DATABASE … TEMPLATE) with 4 earlier years added
    lms_county_10y   a copy of 5y with 5 more: 9 earlier years, ~560,000 attendance records

An earlier year is the demo's held year copied back by whole years: every class that started within
the year before the seeding day and has ended (finished and cancelled ones alike), with its audience
branches, sessions, enrolments, attendance records (status, source and the minutes they credit)
and their first history entries, dates and times shifted by k years in Beijing time (durations,
and so the credited minutes, stay the same). It is done in bulk SQL (INSERT … SELECT with new ids
drawn from the tables' own sequences), every column copied by name, so columns added later come
along; the database's constraints (unique member per session and class, minutes only when
attended, foreign keys) are checked as usual at commit. ANALYZE runs at the end so the planner
knows the new sizes.

The big class: the roll-call list was slowest for a class of 1,200 (issue 13), and the demo's
classes hold 30–120 members. So 1y also gets a copy of township 1's latest finished class, a day
earlier, with 1,200 of the township's members enrolled, their records for its 8 or so sessions
(90 % present with the session's minutes, 5 % absent, 5 % excused on an approved leave request
for the whole class) and the records' first history entries. It is this year's only: the copies
of earlier years leave it out, so every database has exactly one.

Idempotent: a database whose comment (COMMENT ON DATABASE, which a TEMPLATE copy does not inherit)
says it is complete is reused as it is, after `migrate` (so indexes added since apply); a half-built
one, or one seeded more than BENCH_MAX_AGE_DAYS (7) ago, is built again. BENCH_REBUILD=1 rebuilds
all three. BENCH_SOURCE=<dir> runs manage.py from another copy of the code (e.g. `git archive HEAD`
unpacked, to seed from the landed code while the work tree is being edited). When done it writes
the names and the logins to /tmp/helpers/county-ready.txt (COUNTY_READY_FILE) and prints one
`BENCH {json}` line with the build time and row counts (format: bench/run_all.py).
"""

import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
# Where manage.py runs from: this checkout, or e.g. `git archive HEAD` unpacked, to seed from landed code
# while a work tree is being edited.
SOURCE = Path(os.environ.get("BENCH_SOURCE", ROOT))
MEMBERS = 20_000
SIZES = (1, 5, 10)  # years of history
STAMP = "bench county_history complete: "
READY_FILE = Path(os.environ.get("COUNTY_READY_FILE", "/tmp/helpers/county-ready.txt"))
TIMEZONE = "Asia/Shanghai"
BUILD_SECONDS_LIMIT = 15 * 60
# The demo is dated around the day it was seeded (the roll-call list shows 30 days back): older
# databases are built again.
MAX_AGE = timedelta(days=int(os.environ.get("BENCH_MAX_AGE_DAYS", "7")))


def db_name(years: int) -> str:
    return f"lms_county_{years}y"


def database_url(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def admin(url: str, *statements: sql.Composable) -> None:
    """Statements in the server's `postgres` database (CREATE/DROP DATABASE need autocommit)."""
    with psycopg.connect(database_url(url, "postgres"), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def stamp_of(url: str, name: str, prefix: str = STAMP) -> dict | None:
    """What the database's comment says about it, or None when it is missing or not complete."""
    with psycopg.connect(database_url(url, "postgres"), autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
    if not row or not row[0] or not row[0].startswith(prefix):
        return None
    return json.loads(row[0].removeprefix(prefix))


def stamp(url: str, name: str, info: dict, prefix: str = STAMP) -> None:
    admin(
        url,
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(name), sql.Literal(prefix + json.dumps(info, sort_keys=True))
        ),
    )


def drop(name: str) -> sql.Composable:
    return sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))


def create(name: str, template: str | None = None) -> sql.Composable:
    if template is None:
        return sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    return sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))


def manage(url: str, name: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url(url, name), "DJANGO_ENV": "development"}
    subprocess.run([sys.executable, "manage.py", *args], cwd=SOURCE, env=env, check=True)


def copy_from_template(url: str, name: str, template: str) -> None:
    """CREATE DATABASE … TEMPLATE needs the template to have no sessions; wait a little for them."""
    for attempt in range(30):
        try:
            admin(url, drop(name), create(name, template))
            return
        except psycopg.errors.ObjectInUse:
            if attempt == 29:
                raise
            print(f"  {template} is in use; waiting to copy it…", flush=True)
            time.sleep(2)


# --- History -------------------------------------------------------------------------------------


def columns(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = %s AND is_generated = 'NEVER' ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [row[0] for row in rows]


def copy_rows(
    conn: psycopg.Connection, table: str, source: str, overrides: dict[str, str], skip=("id",)
) -> int:
    """INSERT INTO table SELECT every column of `t` (the source row) unless overridden, FROM source."""
    names = [name for name in columns(conn, table) if name not in skip or name in overrides]
    values = [overrides.get(name, f"t.{name}") for name in names]
    statement = "INSERT INTO {} ({}) SELECT {} FROM {}".format(
        table, ", ".join(names), ", ".join(values), source
    )
    return conn.execute(statement).rowcount


def shifted(column: str) -> str:
    return f"t.{column} - make_interval(years => m.years)"


def add_years(
    url: str, name: str, seed_day: date, first: int, last: int, big_class_id: int
) -> dict[str, int]:
    """Copy the held year before `seed_day` back by `first`…`last` years, in one transaction."""
    added: dict[str, int] = {}
    with psycopg.connect(database_url(url, name)) as conn:
        conn.execute(f"SET TIME ZONE '{TIMEZONE}'")
        conn.execute(
            "CREATE TEMP TABLE class_map ON COMMIT DROP AS "
            "SELECT c.id AS old_id, k.years, "
            "nextval(pg_get_serial_sequence('scheduling_trainingclass', 'id')) AS new_id "
            "FROM scheduling_trainingclass c CROSS JOIN generate_series(%s::int, %s::int) AS k(years) "
            "WHERE c.start_date >= %s::date - interval '1 year' AND c.end_date < %s::date "
            "AND c.id <> %s",
            [first, last, seed_day, seed_day, big_class_id],
        )
        conn.execute(
            "CREATE TEMP TABLE session_map ON COMMIT DROP AS "
            "SELECT s.id AS old_id, m.years, m.new_id AS class_id, "
            "nextval(pg_get_serial_sequence('scheduling_session', 'id')) AS new_id "
            "FROM scheduling_session s JOIN class_map m ON m.old_id = s.training_class_id"
        )
        conn.execute("CREATE INDEX ON session_map (old_id)")
        conn.execute("CREATE INDEX ON session_map (new_id)")
        conn.execute("ANALYZE class_map")
        conn.execute("ANALYZE session_map")
        added["training_classes"] = copy_rows(
            conn,
            "scheduling_trainingclass",
            "scheduling_trainingclass t JOIN class_map m ON m.old_id = t.id",
            {
                "id": "m.new_id",
                # "2026年第8期…" of a class copied 3 years back reads "2023年第8期…"
                "title": "CASE WHEN t.title ~ '^[0-9]{4}年' THEN "
                "(substring(t.title FROM '^([0-9]{4})年')::int - m.years)::text || "
                "substring(t.title FROM '^[0-9]{4}(.*)$') ELSE t.title END",
                "start_date": "(t.start_date - make_interval(years => m.years))::date",
                "end_date": "(t.end_date - make_interval(years => m.years))::date",
                "created_at": shifted("created_at"),
                "updated_at": shifted("updated_at"),
                "published_at": shifted("published_at"),
                "planned_class_id": "NULL",  # the annual plans stay the seeding year's
            },
        )
        added["audience_branches"] = copy_rows(
            conn,
            "scheduling_trainingclass_audience_branches",
            "scheduling_trainingclass_audience_branches t JOIN class_map m ON m.old_id = t.trainingclass_id",
            {"trainingclass_id": "m.new_id"},
        )
        added["sessions"] = copy_rows(
            conn,
            "scheduling_session",
            "scheduling_session t JOIN session_map m ON m.old_id = t.id",
            {
                "id": "m.new_id",
                "training_class_id": "m.class_id",
                "starts_at": shifted("starts_at"),
                "ends_at": shifted("ends_at"),
            },
        )
        added["enrollments"] = copy_rows(
            conn,
            "scheduling_enrollment",
            "scheduling_enrollment t JOIN class_map m ON m.old_id = t.training_class_id",
            {
                "training_class_id": "m.new_id",
                "requested_at": shifted("requested_at"),
                "updated_at": shifted("updated_at"),
            },
        )
        added["attendance_records"] = copy_rows(
            conn,
            "attendance_attendancerecord",
            "attendance_attendancerecord t JOIN session_map m ON m.old_id = t.session_id",
            {
                "session_id": "m.new_id",
                "checked_in_at": shifted("checked_in_at"),
                "marked_at": shifted("marked_at"),
            },
        )
        # Each copied record's history: found again by its new session and the member.
        added["attendance_changes"] = copy_rows(
            conn,
            "attendance_attendancechange",
            "attendance_attendancechange t "
            "JOIN attendance_attendancerecord r ON r.id = t.record_id "
            "JOIN session_map m ON m.old_id = r.session_id "
            "JOIN attendance_attendancerecord n ON n.session_id = m.new_id AND n.member_id = r.member_id",
            {"record_id": "n.id", "changed_at": shifted("changed_at")},
        )
    with psycopg.connect(database_url(url, name), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return added


BIG_CLASS_MEMBERS = 1_200
BIG_CLASS_SUFFIX = "（集中轮训大班）"


def add_big_class(url: str, name: str, seed_day: date) -> dict[str, int]:
    """A copy of township 1's latest finished class, a day earlier, with 1,200 members and their records."""
    added: dict[str, int] = {}
    with psycopg.connect(database_url(url, name)) as conn:
        conn.execute(f"SET TIME ZONE '{TIMEZONE}'")
        township = conn.execute(
            "SELECT b.township_id FROM auth_user u JOIN people_member m ON m.user_id = u.id "
            "JOIN people_branch b ON b.id = m.branch_id WHERE u.username = 'member1'"
        ).fetchone()[0]
        source = conn.execute(
            "SELECT id FROM scheduling_trainingclass WHERE school_id = %s AND status = 'finished' "
            "AND end_date < %s ORDER BY end_date DESC, id DESC LIMIT 1",
            [township, seed_day],
        ).fetchone()[0]
        conn.execute(
            "CREATE TEMP TABLE class_map ON COMMIT DROP AS SELECT %s::bigint AS old_id, "
            "nextval(pg_get_serial_sequence('scheduling_trainingclass', 'id')) AS new_id",
            [source],
        )
        conn.execute(
            "CREATE TEMP TABLE session_map ON COMMIT DROP AS SELECT s.id AS old_id, m.new_id AS class_id, "
            "nextval(pg_get_serial_sequence('scheduling_session', 'id')) AS new_id "
            "FROM scheduling_session s JOIN class_map m ON m.old_id = s.training_class_id"
        )
        day = "interval '1 day'"
        added["training_classes"] = copy_rows(
            conn,
            "scheduling_trainingclass",
            "scheduling_trainingclass t JOIN class_map m ON m.old_id = t.id",
            {
                "id": "m.new_id",
                "title": f"t.title || '{BIG_CLASS_SUFFIX}'",
                "capacity": str(BIG_CLASS_MEMBERS + 100),
                "start_date": f"(t.start_date - {day})::date",
                "end_date": f"(t.end_date - {day})::date",
                "planned_class_id": "NULL",
            },
        )
        added["sessions"] = copy_rows(
            conn,
            "scheduling_session",
            "scheduling_session t JOIN session_map m ON m.old_id = t.id",
            {
                "id": "m.new_id",
                "training_class_id": "m.class_id",
                "starts_at": f"t.starts_at - {day}",
                "ends_at": f"t.ends_at - {day}",
            },
        )
        # 1,200 of the township's members, numbered: every 20th excused on leave, the next absent.
        conn.execute(
            "CREATE TEMP TABLE big_members ON COMMIT DROP AS "
            "SELECT m.id AS member_id, row_number() OVER (ORDER BY m.id) AS n FROM people_member m "
            "JOIN people_branch b ON b.id = m.branch_id WHERE b.township_id = %s ORDER BY m.id LIMIT %s",
            [township, BIG_CLASS_MEMBERS],
        )
        class_id, starts = conn.execute(
            "SELECT c.id, min(s.starts_at) FROM scheduling_trainingclass c "
            "JOIN scheduling_session s ON s.training_class_id = c.id "
            "WHERE c.id = (SELECT new_id FROM class_map) GROUP BY c.id"
        ).fetchone()
        added["enrollments"] = conn.execute(
            "INSERT INTO scheduling_enrollment (training_class_id, member_id, status, source, "
            "requested_at, updated_at) SELECT %s, member_id, 'enrolled', 'branch', "
            "%s - interval '7 days', %s - interval '7 days' FROM big_members",
            [class_id, starts, starts],
        ).rowcount
        added["leave_requests"] = conn.execute(
            "INSERT INTO attendance_leaverequest (training_class_id, member_id, scope, day, reason, "
            "status, requested_at, decided_at) SELECT %s, member_id, 'class', NULL, '家中有事，请假', "
            "'approved', %s - interval '3 days', %s - interval '2 days' FROM big_members "
            "WHERE n %% 20 = 0",
            [class_id, starts, starts],
        ).rowcount
        added["leave_sessions"] = conn.execute(
            "INSERT INTO attendance_leavesession (leave_id, session_id, member_id, status) "
            "SELECT l.id, m.new_id, l.member_id, 'approved' FROM attendance_leaverequest l "
            "JOIN session_map m ON true WHERE l.training_class_id = %s",
            [class_id],
        ).rowcount
        added["attendance_records"] = conn.execute(
            "INSERT INTO attendance_attendancerecord (session_id, member_id, status, source, minutes, "
            "checked_in_at, marked_at) SELECT s.id, b.member_id, "
            "CASE b.n %% 20 WHEN 0 THEN 'excused' WHEN 1 THEN 'absent' ELSE 'present' END, "
            "CASE b.n %% 20 WHEN 0 THEN 'leave' WHEN 1 THEN 'auto' ELSE 'qr' END, "
            "CASE WHEN b.n %% 20 > 1 THEN extract(epoch FROM s.ends_at - s.starts_at)::int / 60 ELSE 0 END, "
            "CASE WHEN b.n %% 20 > 1 THEN s.starts_at - make_interval(mins => (b.n %% 15)::int) END, "
            "CASE WHEN b.n %% 20 > 1 THEN s.starts_at - make_interval(mins => (b.n %% 15)::int) "
            "ELSE s.ends_at END "
            "FROM scheduling_session s CROSS JOIN big_members b WHERE s.training_class_id = %s",
            [class_id],
        ).rowcount
        added["attendance_changes"] = conn.execute(
            "INSERT INTO attendance_attendancechange (record_id, changed_at, old_status, new_status, "
            "old_minutes, new_minutes, old_source, new_source, note) "
            "SELECT a.id, a.marked_at, '', a.status, NULL, a.minutes, '', a.source, '' "
            "FROM attendance_attendancerecord a JOIN scheduling_session s ON s.id = a.session_id "
            "WHERE s.training_class_id = %s",
            [class_id],
        ).rowcount
    added["big_class_id"] = class_id
    return added


def counts(url: str, name: str) -> dict[str, int]:
    tables = {
        "members": "people_member",
        "training_classes": "scheduling_trainingclass",
        "sessions": "scheduling_session",
        "enrollments": "scheduling_enrollment",
        "attendance_records": "attendance_attendancerecord",
    }
    with psycopg.connect(database_url(url, name)) as conn:
        found = {
            label: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for label, table in tables.items()
        }
        found["years_with_attendance"] = conn.execute(
            f"SELECT count(DISTINCT extract(year FROM s.starts_at AT TIME ZONE '{TIMEZONE}')) "
            "FROM attendance_attendancerecord a JOIN scheduling_session s ON s.id = a.session_id"
        ).fetchone()[0]
    return found


# --- Build ---------------------------------------------------------------------------------------


def build(url: str, rebuild: bool = False) -> dict[int, dict]:
    built: dict[int, dict] = {}
    previous: int | None = None
    for years in SIZES:
        name = db_name(years)
        info = None if rebuild else stamp_of(url, name)
        fresh = info is not None and date.fromisoformat(info["seed_day"]) >= date.today() - MAX_AGE
        if fresh and (previous is None or built[previous]["seed_day"] == info["seed_day"]):
            print(f"{name}: complete (built {info['built_at']}), reused; migrating", flush=True)
            manage(url, name, "migrate", "--no-input", "-v0")
            built[years] = info
            previous = years
            continue
        started = time.perf_counter()
        if previous is None:
            print(f"{name}: migrate + demo --members {MEMBERS}", flush=True)
            admin(url, drop(name), create(name))
            manage(url, name, "migrate", "--no-input", "-v0")
            manage(url, name, "demo", "--members", str(MEMBERS))
            seed_day = seed_day_of(url, name)
            added = add_big_class(url, name, seed_day)
            with psycopg.connect(database_url(url, name), autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
            big_class_id = added["big_class_id"]
        else:
            source = built[previous]
            seed_day = date.fromisoformat(source["seed_day"])
            first, last = source["years"], years - 1
            print(f"{name}: copy of {db_name(previous)} + years back {first}…{last}", flush=True)
            copy_from_template(url, name, db_name(previous))
            big_class_id = source["big_class_id"]
            added = add_years(url, name, seed_day, first, last, big_class_id)
        info = {
            "years": years,
            "members": MEMBERS,
            "seed_day": seed_day.isoformat(),
            "big_class_id": big_class_id,
            "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "seconds": round(time.perf_counter() - started, 1),
            "added": added,
            "counts": counts(url, name),
        }
        stamp(url, name, info)
        print(f"{name}: built in {info['seconds']} s: {info['counts']}", flush=True)
        built[years] = info
        previous = years
    return built


def seed_day_of(url: str, name: str) -> date:
    """The day the demo was seeded for: its held classes end before it, its in-progress one spans it."""
    with psycopg.connect(database_url(url, name)) as conn:
        conn.execute(f"SET TIME ZONE '{TIMEZONE}'")
        return conn.execute("SELECT (min(created_at))::date FROM scheduling_trainingclass").fetchone()[0]


def announce(built: dict[int, dict]) -> None:
    lines = [
        "# County databases for issue 13 (bench/county_history.py). Read-only use, please:",
        "# copy one with CREATE DATABASE mine TEMPLATE lms_county_10y (while no one is connected).",
        *(
            f"{db_name(years)}  {info['counts']['attendance_records']} attendance records, "
            f"{info['counts']['members']} members, seeded {info['seed_day']}"
            for years, info in sorted(built.items(), reverse=True)
        ),
        f"the class of {BIG_CLASS_MEMBERS} (township 1, ended a few days before the seeding day): "
        f"training class id {built[1]['big_class_id']}, title ending {BIG_CLASS_SUFFIX}",
        "logins (password demo): township1 (staff of township 1), orgdept (organization department),"
        " member1 (member of township 1)",
    ]
    READY_FILE.parent.mkdir(parents=True, exist_ok=True)
    READY_FILE.write_text("\n".join(lines) + "\n")


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
        return 2
    started = time.perf_counter()
    built = build(url, rebuild=bool(os.environ.get("BENCH_REBUILD")))
    seconds = time.perf_counter() - started
    announce(built)
    rows = {years: info["counts"]["attendance_records"] for years, info in built.items()}
    big = built[1]["added"]["attendance_records"]
    per_year = rows[1] - big
    checks = {
        # each database has exactly its years of attendance, each year the seeding year's rows,
        # and the one big class
        f"{years}y has {years} years × {per_year} records + {big}": (
            built[years]["counts"]["years_with_attendance"] in (years, years + 1)
            and rows[years] == years * per_year + big
        )
        for years in SIZES
    }
    checks[f"build within {BUILD_SECONDS_LIMIT // 60} min"] = (
        sum(info["seconds"] for info in built.values()) <= BUILD_SECONDS_LIMIT
    )
    print(f"{'database':<18}{'members':>9}{'classes':>9}{'sessions':>10}{'enrolments':>12}{'attendance':>12}")
    for years, info in built.items():
        c = info["counts"]
        print(
            f"{db_name(years):<18}{c['members']:>9}{c['training_classes']:>9}{c['sessions']:>10}"
            f"{c['enrollments']:>12}{c['attendance_records']:>12}   built in {info['seconds']} s"
        )
    for label, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {label}")
    summary = {
        "bench": "county_history",
        "ok": all(checks.values()),
        "seconds": round(seconds, 1),
        "build_seconds": {f"{years}y": info["seconds"] for years, info in built.items()},
        "attendance_records": {f"{years}y": n for years, n in rows.items()},
        "checks": checks,
    }
    print("BENCH " + json.dumps(summary, ensure_ascii=False), flush=True)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""The county at the issue's scale: 20,000 members and ten years at ≈ 2 M attendance records a year
(≈ 20 M in all), built in bulk SQL in well under 15 minutes, for `bench/dashboard_history.py`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/county_20m.py

DATABASE_URL only names the server; the script builds, one from the other:

    lms_s20m_base   bench/county_history.py's one-year county (migrate + `demo --members 20000` + its
                    class of 1,200), reused while its comment says it is complete
    lms_s20m_1y     a copy of the base with the seeding year made dense (≈ 2 M attendance records)
    lms_s20m_10y    a copy of 1y with the nine years before it at the same density (≈ 20 M)

A dense year, per township school (11 in the demo): CLASSES (48) three-day classes, four a month,
each of SESSIONS (6: mornings and afternoons, 150 minutes, kinds of a 5+1+N class), finished and
compliant, taught by the county's teachers in turn. Each member of the township is in one of GROUPS
(3) groups, and class i takes group i mod 3, so a member is enrolled in 16 classes and has 96
attendance records a year (≈ 600 in a class: the township's hall with the live classroom to the
branches). Statuses and sources are spread by a hash of member and session: 60 % present by QR,
10 % present live, 7 % present by roll call, 5 % late (15 minutes short), 3 % left early (30 short),
7 % made up by replay, 8 % absent (`auto`, no minutes). Every class has its township's branches as
audience and an enrolment per member. Each class, session and record is new (ids from the tables'
own sequences); classes, sessions and enrolments are copied from a template row of the demo (every
column by name, so columns added later come along) with the new values set. Not generated: the
records' history entries (attendance changes), leave, evaluations, online study; the annual plans
stay the demo's (the seeding year's).

Speed: the attendance and enrolment tables' secondary indexes, unique constraints and foreign keys
are dropped inside the transaction, the rows inserted, and the same definitions created again
(`pg_get_indexdef`/`pg_get_constraintdef`; re-adding a foreign key validates every row in one join,
much faster than a trigger per row), then VACUUM ANALYZE (statistics, and the visibility map the
index-only scans need). All in one transaction per database: a failure leaves it as it was.

Idempotent like county_history: a database whose comment says it is complete (and was seeded from
the same base) is reused after `migrate`; BENCH_REBUILD=1 builds the dense ones again (and
BENCH_REBUILD_BASE=1 the base too). Prints the build time of each step and one `BENCH {json}` line.
"""

import json
import os
import sys
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import county_history
from county_history import copy_from_template, copy_rows, database_url, manage

PREFIX = os.environ.get("BENCH_20M_PREFIX", "lms_s20m")
BASE = f"{PREFIX}_base"
SIZES = (1, 10)
CLASSES = 48  # per township school and year
SESSIONS = 6  # per class: three days, morning and afternoon
GROUPS = 3  # a member is in one group; class i takes group i % GROUPS
SESSION_MINUTES = 150
KINDS = ("constitution", "leader_lecture", "site_visit", "elective", "oath", "exam")
BUILD_SECONDS_LIMIT = 15 * 60
STAMP = "bench county_20m complete: "
TIMEZONE = county_history.TIMEZONE


def db_name(years: int) -> str:
    return f"{PREFIX}_{years}y"


def stamp_of(url: str, name: str) -> dict | None:
    return county_history.stamp_of(url, name, prefix=STAMP)


def stamp(url: str, name: str, info: dict) -> None:
    county_history.stamp(url, name, info, prefix=STAMP)


@contextmanager
def without_secondary_indexes(conn: psycopg.Connection, tables: tuple[str, ...]):
    """Drop the tables' foreign keys, unique constraints and indexes (not the primary key) for a bulk
    load, and create the same ones again after it (in the same transaction)."""
    constraints = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') ORDER BY contype DESC, conname",
        [list(tables)],
    ).fetchall()
    indexes = conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype = 'u')",
        [list(tables)],
    ).fetchall()
    for table, name, _definition in constraints:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        conn.execute(f"DROP INDEX {name}")
    yield
    for _name, definition in indexes:
        conn.execute(definition)
    # unique constraints first (ORDER BY contype DESC), then the foreign keys, each validated once
    for table, name, definition in constraints:
        conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def add_dense_years(url: str, name: str, seed_day: date, offsets: list[int], big_class_id: int) -> dict:
    """Add a dense year for each offset (0 = the seeding year, k = k years before it)."""
    added: dict[str, int] = {}
    timings: dict[str, float] = {}
    mark = time.perf_counter()

    def step(label: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        timings[label] = round(now - mark, 1)
        print(f"  {name}: {label} {timings[label]} s", flush=True)
        mark = now

    seed_year = seed_day.year
    # The seeding year's classes end ten days before the seeding day (all of them held and finished).
    last_start = min(date(seed_year, 12, 18), seed_day - timedelta(days=10))
    with psycopg.connect(database_url(url, name)) as conn:
        conn.execute(f"SET TIME ZONE '{TIMEZONE}'")
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET work_mem = '256MB'")
        conn.execute("SET synchronous_commit = off")
        template_class = conn.execute(
            "SELECT id FROM scheduling_trainingclass WHERE status = 'finished' AND id <> %s "
            "AND EXISTS (SELECT 1 FROM scheduling_session s "
            "WHERE s.training_class_id = scheduling_trainingclass.id) ORDER BY id LIMIT 1",
            [big_class_id],
        ).fetchone()[0]
        template_session = conn.execute(
            "SELECT min(id) FROM scheduling_session WHERE training_class_id = %s", [template_class]
        ).fetchone()[0]
        # Townships in page order, the county's teachers in id order.
        conn.execute(
            "CREATE TEMP TABLE gen_town ON COMMIT DROP AS SELECT t.page_ptr_id AS school_id, p.title, "
            "(row_number() OVER (ORDER BY p.path) - 1)::int AS n FROM courses_townshipschoolpage t "
            "JOIN wagtailcore_page p ON p.id = t.page_ptr_id"
        )
        teachers = [row[0] for row in conn.execute("SELECT id FROM people_teacher ORDER BY id").fetchall()]
        # Every class: its year, its number in the year and its first day (spread over the year).
        conn.execute(
            "CREATE TEMP TABLE gen_class ON COMMIT DROP AS "
            "SELECT nextval(pg_get_serial_sequence('scheduling_trainingclass', 'id')) AS id, "
            "t.school_id, t.title AS school_title, t.n AS town, y.k, (%(seed_year)s - y.k) AS year, i.i, "
            "(make_date(%(seed_year)s - y.k, 1, 6) + ((CASE WHEN y.k = 0 THEN %(last_start)s::date "
            "ELSE make_date(%(seed_year)s - y.k, 12, 18) END - make_date(%(seed_year)s - y.k, 1, 6)) "
            "* i.i / %(classes)s) + t.n %% 3)::date AS start_date "
            "FROM gen_town t CROSS JOIN unnest(%(offsets)s::int[]) AS y(k) "
            "CROSS JOIN generate_series(0, %(classes)s - 1) AS i(i)",
            {"seed_year": seed_year, "last_start": last_start, "classes": CLASSES, "offsets": offsets},
        )
        conn.execute(
            "CREATE TEMP TABLE gen_session ON COMMIT DROP AS "
            "SELECT nextval(pg_get_serial_sequence('scheduling_session', 'id')) AS id, c.id AS class_id, "
            "c.school_id, c.i, j.j, "
            "((c.start_date + j.j / 2) + CASE WHEN j.j %% 2 = 0 THEN time '08:30' ELSE time '14:30' END)"
            "::timestamp AT TIME ZONE %(tz)s AS starts_at "
            "FROM gen_class c CROSS JOIN generate_series(0, %(sessions)s - 1) AS j(j)",
            {"tz": TIMEZONE, "sessions": SESSIONS},
        )
        # Members of the townships, each in one group.
        conn.execute(
            "CREATE TEMP TABLE gen_member ON COMMIT DROP AS SELECT m.id AS member_id, b.township_id, "
            "((row_number() OVER (PARTITION BY b.township_id ORDER BY m.id)) %% %(groups)s)::int AS grp "
            "FROM people_member m JOIN people_branch b ON b.id = m.branch_id "
            "WHERE b.township_id IN (SELECT school_id FROM gen_town)",
            {"groups": GROUPS},
        )
        for table in ("gen_class", "gen_session", "gen_member"):
            conn.execute(f"ANALYZE {table}")
        step("plan")
        month_before = f"(g.start_date - 30)::timestamp AT TIME ZONE '{TIMEZONE}'"
        added["training_classes"] = copy_rows(
            conn,
            "scheduling_trainingclass",
            "scheduling_trainingclass t JOIN gen_class g ON t.id = " + str(int(template_class)),
            {
                "id": "g.id",
                "school_id": "g.school_id",
                "title": "g.year || '年' || g.school_title || '第' || (g.i + 1) || '期党员集中轮训班'",
                "description": "''",
                "start_date": "g.start_date",
                "end_date": f"g.start_date + {SESSIONS // 2 - 1}",
                "capacity": "1000",
                "status": "'finished'",
                "cancel_reason": "''",
                "is_compliant": "true",
                "self_enrolment": "false",
                "created_at": f"{month_before} + interval '9 hours'",
                "updated_at": f"{month_before} + interval '9 hours'",
                "published_at": f"{month_before} + interval '10 hours'",
                "planned_class_id": "NULL",
            },
        )
        added["audience_branches"] = conn.execute(
            "INSERT INTO scheduling_trainingclass_audience_branches (trainingclass_id, branch_id) "
            "SELECT g.id, b.id FROM gen_class g JOIN people_branch b ON b.township_id = g.school_id"
        ).rowcount
        # Teaching points of the township, for the site visits.
        conn.execute(
            "CREATE TEMP TABLE gen_point ON COMMIT DROP AS "
            "SELECT t.school_id, min(p.page_ptr_id) AS point_id FROM gen_town t "
            "JOIN wagtailcore_page tp ON tp.id = t.school_id "
            "JOIN wagtailcore_page pp ON pp.path LIKE tp.path || '%' AND pp.depth > tp.depth "
            "JOIN courses_teachingpointpage p ON p.page_ptr_id = pp.id GROUP BY t.school_id"
        )
        added["sessions"] = copy_rows(
            conn,
            "scheduling_session",
            "scheduling_session t JOIN gen_session g ON t.id = "
            + str(int(template_session))
            + " LEFT JOIN gen_point gp ON gp.school_id = g.school_id",
            {
                "id": "g.id",
                "training_class_id": "g.class_id",
                "sort_order": "g.j",
                "kind": f"(ARRAY{list(KINDS)}::text[])[g.j % {len(KINDS)} + 1]",
                "title": "''",
                "starts_at": "g.starts_at",
                "ends_at": f"g.starts_at + interval '{SESSION_MINUTES} minutes'",
                "venue": "''",
                "delivery": "'hybrid'",
                "course_id": "NULL",
                "teacher_id": f"(ARRAY{teachers}::bigint[])[(g.i * {SESSIONS} + g.j) % {len(teachers)} + 1]"
                if teachers
                else "NULL",
                "teaching_point_id": "CASE WHEN g.j = 2 THEN gp.point_id END",
            },
        )
        # The new rows' deferred foreign-key checks now, so the constraints can be dropped below.
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        step("classes and sessions")
        with without_secondary_indexes(conn, ("scheduling_enrollment", "attendance_attendancerecord")):
            step("indexes dropped")
            added["enrollments"] = conn.execute(
                "INSERT INTO scheduling_enrollment (training_class_id, member_id, status, source, "
                "requested_at, updated_at, enrolled_by_id) "
                "SELECT c.id, m.member_id, 'enrolled', 'branch', "
                "(c.start_date - 20)::timestamp AT TIME ZONE %(tz)s, "
                "(c.start_date - 20)::timestamp AT TIME ZONE %(tz)s, NULL FROM gen_class c "
                "JOIN gen_member m ON m.township_id = c.school_id AND m.grp = c.i %% %(groups)s",
                {"tz": TIMEZONE, "groups": GROUPS},
            ).rowcount
            step("enrollments")
            # h: a hash of member and session in 0..99 that picks the status and source.
            added["attendance_records"] = conn.execute(
                "INSERT INTO attendance_attendancerecord (session_id, member_id, status, source, minutes, "
                "checked_in_at, marked_by_id, marked_at) "
                "SELECT s.id, m.member_id, "
                "CASE WHEN h < 77 OR h BETWEEN 85 AND 91 THEN 'present' WHEN h < 82 THEN 'late' "
                "WHEN h < 85 THEN 'left_early' ELSE 'absent' END, "
                "CASE WHEN h < 60 OR h BETWEEN 77 AND 81 THEN 'qr' WHEN h < 70 THEN 'live' "
                "WHEN h < 77 OR h BETWEEN 82 AND 84 THEN 'roll_call' WHEN h < 92 THEN 'replay' "
                "ELSE 'auto' END, "
                "CASE WHEN h < 77 OR h BETWEEN 85 AND 91 THEN %(full)s WHEN h < 82 THEN %(full)s - 15 "
                "WHEN h < 85 THEN %(full)s - 30 ELSE 0 END, "
                "CASE WHEN h < 85 THEN s.starts_at - make_interval(mins => h %% 10) "
                "+ CASE WHEN h BETWEEN 77 AND 81 THEN interval '15 minutes' ELSE interval '0' END END, "
                "NULL, "
                "CASE WHEN h < 60 OR h BETWEEN 77 AND 81 THEN s.starts_at - make_interval(mins => h %% 10) "
                "+ CASE WHEN h BETWEEN 77 AND 81 THEN interval '15 minutes' ELSE interval '0' END "
                "WHEN h BETWEEN 85 AND 91 THEN s.starts_at + interval '7 days' "
                "ELSE s.starts_at + make_interval(mins => %(full)s) END "
                "FROM gen_session s JOIN gen_class c ON c.id = s.class_id "
                "JOIN gen_member m ON m.township_id = c.school_id AND m.grp = c.i %% %(groups)s "
                "CROSS JOIN LATERAL (SELECT ((m.member_id * 7919 + s.id * 104729) %% 100)::int AS h) AS x",
                {"full": SESSION_MINUTES, "groups": GROUPS},
            ).rowcount
            step("attendance records")
        step("indexes and constraints built")
    with psycopg.connect(database_url(url, name), autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        for table in (
            "attendance_attendancerecord",
            "scheduling_enrollment",
            "scheduling_session",
            "scheduling_trainingclass",
            "scheduling_trainingclass_audience_branches",
        ):
            conn.execute(f"VACUUM (ANALYZE) {table}")
    step("vacuum analyze")
    return {"added": added, "timings": timings}


def build(url: str, rebuild: bool = False) -> dict:
    county_history.db_name = lambda years: BASE
    county_history.SIZES = (1,)
    started = time.perf_counter()
    base = county_history.build(url, rebuild=bool(os.environ.get("BENCH_REBUILD_BASE")))[1]
    base_seconds = round(time.perf_counter() - started, 1)
    seed_day = date.fromisoformat(base["seed_day"])
    built: dict[int, dict] = {}
    previous, source = None, BASE
    for years in SIZES:
        name = db_name(years)
        info = None if rebuild else stamp_of(url, name)
        if info is not None and info.get("base_built_at") == base["built_at"]:
            print(f"{name}: complete (built {info['built_at']}), reused; migrating", flush=True)
            manage(url, name, "migrate", "--no-input", "-v0")
            built[years], previous, source = info, years, name
            continue
        started = time.perf_counter()
        offsets = list(range(previous, years)) if previous else [0]
        print(f"{name}: copy of {source} + dense years {offsets}", flush=True)
        copy_from_template(url, name, source)
        copy_seconds = round(time.perf_counter() - started, 1)
        result = add_dense_years(url, name, seed_day, offsets, base["big_class_id"])
        info = {
            "years": years,
            "seed_day": base["seed_day"],
            "big_class_id": base["big_class_id"],
            "base_built_at": base["built_at"],
            "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "seconds": round(time.perf_counter() - started, 1),
            "copy_seconds": copy_seconds,
            **result,
            "counts": county_history.counts(url, name),
        }
        stamp(url, name, info)
        print(f"{name}: built in {info['seconds']} s: {info['counts']}", flush=True)
        built[years], previous, source = info, years, name
    return {"base": base, "base_seconds": base_seconds, "built": built}


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
        return 2
    result = build(url, rebuild=bool(os.environ.get("BENCH_REBUILD")))
    built = result["built"]
    rows = {years: info["counts"]["attendance_records"] for years, info in built.items()}
    generated = sum(info["seconds"] for info in built.values())
    per_year = built[1]["added"]["attendance_records"]
    last = SIZES[-1]
    added_last = built[last]["added"]["attendance_records"]
    checks = {
        "≈ 2 M attendance records a year": 1_500_000 <= per_year <= 2_500_000,
        # what the server inserted is what the database then counts, year for year
        f"{last}y: {last - 1} more dense years of {per_year} records each": (
            added_last == (last - 1) * per_year and rows[last] - rows[1] == added_last
        ),
        f"{last}y has ≈ 20 M attendance records": rows[last] >= 18_000_000,
        f"dense years generated within {BUILD_SECONDS_LIMIT // 60} min": generated <= BUILD_SECONDS_LIMIT,
    }
    for years, info in built.items():
        c = info["counts"]
        print(
            f"{db_name(years):<16}{c['members']:>9} members{c['training_classes']:>9} classes"
            f"{c['sessions']:>9} sessions{c['enrollments']:>10} enrolments"
            f"{c['attendance_records']:>11} records"
            f"   built in {info['seconds']} s"
        )
    for label, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {label}")
    summary = {
        "bench": "county_20m",
        "ok": all(checks.values()),
        "figures": {
            "base_seconds": result["base_seconds"],
            "dense_seconds": {f"{y}y": info["seconds"] for y, info in built.items()},
            "attendance_records": {f"{y}y": n for y, n in rows.items()},
            "load": round(os.getloadavg()[0], 1),
        },
        "failures": [label for label, ok in checks.items() if not ok],
    }
    print("BENCH " + json.dumps(summary, ensure_ascii=False), flush=True)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark `manage.py demo` on PostgreSQL: is seeding 20,000 members under a minute, and linear?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/demo_members.py

DATABASE_URL only says which server and credentials to use: the script connects to its `postgres`
database, migrates a throwaway database (BENCH_DB, default `lms_bench`) once, keeps it as a template,
and seeds a fresh copy for each run: the baseline (2,000 members), the target (20,000 members), then
the target again to time an idempotent re-run. It prints seconds per 1,000 members of the member
phase for baseline and target; a ratio near 1 means seeding scales linearly. Not part of the tests.
Set BENCH_KEEP=1 to keep `lms_bench` (seeded with the target) for a look afterwards.
"""

import io
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = os.environ.get("BENCH_DB", "lms_bench")
TEMPLATE_DB = f"{BENCH_DB}_template"
BASELINE_MEMBERS = 2_000
TARGET_MEMBERS = 20_000
TARGET_SECONDS = 60.0


def database_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def server(url: str, *statements: sql.Composable) -> None:
    """Run statements in the server's `postgres` database (CREATE/DROP DATABASE need autocommit)."""
    with psycopg.connect(database_url(url, "postgres"), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def drop(name: str) -> sql.Composable:
    return sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))


def create(name: str, template: str | None = None) -> sql.Composable:
    if template is None:
        return sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    return sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
        return 2
    os.environ["DATABASE_URL"] = database_url(url, BENCH_DB)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lms.settings"
    os.environ.setdefault("DJANGO_ENV", "development")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from lms.people.management.commands.demo import Command as DemoCommand

    def seed(members: int) -> tuple[float, object]:
        command = DemoCommand()
        started = time.perf_counter()
        call_command(command, members=members, stdout=io.StringIO())
        elapsed = time.perf_counter() - started
        connections.close_all()
        return elapsed, command.result

    def fresh_copy() -> None:
        connections.close_all()
        server(url, drop(BENCH_DB), create(BENCH_DB, TEMPLATE_DB))

    server(url, drop(BENCH_DB), drop(TEMPLATE_DB), create(BENCH_DB))
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"{'migrate':<34}{time.perf_counter() - started:.1f} s")
    connections.close_all()
    server(url, create(TEMPLATE_DB, BENCH_DB))

    try:
        fresh_copy()
        base_seconds, base = seed(BASELINE_MEMBERS)
        fresh_copy()
        target_seconds, target = seed(TARGET_MEMBERS)
        rerun_seconds, rerun = seed(TARGET_MEMBERS)
    finally:
        connections.close_all()
        server(url, drop(TEMPLATE_DB), *([] if os.environ.get("BENCH_KEEP") else [drop(BENCH_DB)]))

    base_rate = base.member_seconds / (base.members_created / 1000)
    target_rate = target.member_seconds / (target.members_created / 1000)
    within = target_seconds < TARGET_SECONDS
    counts_match = target.counts == rerun.counts
    rows = [
        (
            f"demo --members {BASELINE_MEMBERS}",
            f"{base_seconds:.1f} s (member phase {base.member_seconds:.2f} s)",
        ),
        (
            f"demo --members {TARGET_MEMBERS}",
            f"{target_seconds:.1f} s (member phase {target.member_seconds:.2f} s)",
        ),
        (
            f"demo --members {TARGET_MEMBERS} again",
            f"{rerun_seconds:.1f} s ({rerun.members_created} created)",
        ),
        (f"member phase per 1,000 at {BASELINE_MEMBERS}", f"{base_rate:.3f} s"),
        (f"member phase per 1,000 at {TARGET_MEMBERS}", f"{target_rate:.3f} s"),
        ("ratio target / baseline", f"{target_rate / base_rate:.2f} (1.00 = linear)"),
        (f"{TARGET_MEMBERS} members under {TARGET_SECONDS:.0f} s", "yes" if within else "NO, too slow"),
        ("re-run left the counts unchanged", "yes" if counts_match else "NO"),
    ]
    for label, value in rows:
        print(f"{label:<34}{value}")
    summary = {
        "bench": "demo_members",
        "ok": within and counts_match,
        "figures": [
            {
                "name": f"demo --members {TARGET_MEMBERS}",
                "value": round(target_seconds, 1),
                "unit": "s",
                "goal": f"< {TARGET_SECONDS:.0f}",
                "ok": within,
            },
            {"name": "member phase per 1,000, target / baseline", "value": round(target_rate / base_rate, 2)},
            {"name": "re-run left the counts unchanged", "value": counts_match, "ok": counts_match},
        ],
    }
    print("BENCH " + json.dumps(summary, ensure_ascii=False), flush=True)
    return 0 if within and counts_match else 1


if __name__ == "__main__":
    sys.exit(main())

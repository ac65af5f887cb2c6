"""Benchmark the admin's member import (人员 → 导入党员) with files at the caps: 20,000 rows, ~5 MB.

    .venv/bin/python bench/member_import.py                       # SQLite (a throwaway file in /tmp)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/member_import.py

With a PostgreSQL DATABASE_URL the script uses a throwaway database on that server (BENCH_DB, default
`lms_bench_import`, dropped at the end unless BENCH_KEEP=1). It migrates, seeds the demo county (2,000
members), then for a CSV and then an XLSX file of exactly PEOPLE_IMPORT_MAX_ROWS rows, padded with a
remarks column to just under PEOPLE_IMPORT_MAX_BYTES, it goes through the page as the organization
department would: upload (the dry run and its preview page), "import the good rows", and the same
confirm again (a double click). Each file holds new members, known members with a changed category,
known members unchanged and a few hundred bad rows (unknown branch, a landline, a repeated phone).

It prints the seconds of each step and checks what the pages answered (their counts) against what the
file was built to contain, and the database afterwards (new members, changed categories, logins and
the member group). The exit status is 1 when a count is off or a step takes TARGET_SECONDS or more.
"""

import csv
import io
import json
import os
import random
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = os.environ.get("BENCH_DB", "lms_bench_import")
SQLITE_PATH = Path(os.environ.get("BENCH_SQLITE", "/tmp/lms_bench_import.sqlite3"))
KNOWN_CHANGED = 1_000
KNOWN_UNCHANGED = 1_000
BAD_EACH = 100  # rows of each kind of problem (three kinds)
TARGET_SECONDS = 60.0
HEADER = ["姓名", "手机号", "党支部", "类别", "流动党员", "镇街党校", "备注"]
CATEGORY_LABELS = {"ordinary": "普通党员", "village_cadre": "村两委成员", "branch_secretary": "党支部书记"}


def database_url(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def postgres(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(database_url(url, "postgres"), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def setup_database() -> tuple[str, callable]:
    """Point Django at a throwaway database; returns its label and a function that removes it."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        postgres(url, f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)', f'CREATE DATABASE "{BENCH_DB}"')
        os.environ["DATABASE_URL"] = database_url(url, BENCH_DB)

        def drop():
            if not os.environ.get("BENCH_KEEP"):
                postgres(url, f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')

        return f"PostgreSQL ({BENCH_DB})", drop
    os.environ.pop("DATABASE_URL", None)
    for path in SQLITE_PATH.parent.glob(SQLITE_PATH.name + "*"):
        path.unlink()
    os.environ["SQLITE_PATH"] = str(SQLITE_PATH)

    def remove():
        if not os.environ.get("BENCH_KEEP"):
            for path in SQLITE_PATH.parent.glob(SQLITE_PATH.name + "*"):
                path.unlink()

    return f"SQLite ({SQLITE_PATH})", remove


class Plan:
    """The rows of one file and what the import must make of them."""

    def __init__(self, rows: list[list[str]], new: dict, changed: dict, unchanged: set, bad: set):
        self.rows = rows
        self.new = new  # phone → (name, branch_id, category)
        self.changed = changed  # phone → category it must have afterwards
        self.unchanged = unchanged  # phones
        self.bad = bad  # row numbers


def build_plan(*, rows_total: int, new_prefix: str, rng: random.Random) -> Plan:
    from lms.people.models import Branch, Member

    branches = list(Branch.objects.select_related("township").order_by("pk"))
    known = list(
        Member.objects.order_by("pk").values_list("phone", "name", "branch_id", "category", "is_migrant")[
            : KNOWN_CHANGED + KNOWN_UNCHANGED
        ]
    )
    assert len(known) == KNOWN_CHANGED + KNOWN_UNCHANGED, "the demo should have seeded enough members"
    by_id = {branch.pk: branch for branch in branches}
    body: list[tuple[list[str], str]] = []  # (row, kind)
    changed, unchanged = {}, set()
    for index, (phone, name, branch_id, category, is_migrant) in enumerate(known):
        branch = by_id[branch_id]
        if index < KNOWN_CHANGED:
            category = next(c for c in CATEGORY_LABELS if c != category)
            changed[phone] = category
        else:
            unchanged.add(phone)
        row = [name, phone, branch.name, CATEGORY_LABELS[category], "是" if is_migrant else "否"]
        body.append((row + [branch.township.title], "known"))
    new = {}
    new_count = rows_total - len(known) - 3 * BAD_EACH
    for n in range(new_count):
        branch = branches[n % len(branches)]
        phone = f"{new_prefix}{n:06d}"
        category = rng.choice(list(CATEGORY_LABELS))
        name = f"新党员{n}"
        new[phone] = (name, branch.pk, category)
        body.append(
            ([name, phone, branch.name, CATEGORY_LABELS[category], "否", branch.township.title], "new")
        )
    assert not Member.objects.filter(phone__in=list(new)).exists(), "new phones must be new"
    for n in range(BAD_EACH):
        body.append(([f"错支部{n}", f"{new_prefix[:-1]}9{n:06d}", "没有这个党支部", "", "", ""], "bad"))
        body.append(
            ([f"座机{n}", f"0571-8{n:06d}", branches[0].name, "", "", branches[0].township.title], "bad")
        )
        body.append(
            ([f"重号{n}", f"{new_prefix}{n:06d}", branches[0].name, "", "", ""], "bad")
        )  # new's phone
    rng.shuffle(body)
    # A repeated phone is bad only below the row that first used it: put the repeats after the originals.
    repeats = [item for item in body if item[0][0].startswith("重号")]
    body = [item for item in body if not item[0][0].startswith("重号")] + repeats
    rows, bad = [], set()
    for number, (row, kind) in enumerate(body, 2):
        rows.append(row)
        if kind == "bad":
            bad.add(number)
    return Plan(rows, new, changed, unchanged, bad)


def file_bytes(rows: list[list[str]], file_format: str) -> bytes:
    if file_format == "csv":
        buffer = io.StringIO(newline="")
        csv.writer(buffer).writerows(rows)
        return buffer.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook

    workbook = Workbook()  # shared strings, as Excel and WPS write them
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def padded_file(plan: Plan, file_format: str, max_bytes: int, rng: random.Random) -> bytes:
    """The file with a remarks column long enough to bring it just under max_bytes."""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

    def build(pad: int) -> bytes:
        rows = [HEADER] + [row + ["".join(rng.choices(alphabet, k=pad))] for row in plan.rows]
        return file_bytes(rows, file_format)

    bare, probe = len(build(0)), len(build(100))
    pad = int((max_bytes * 0.98 - bare) / ((probe - bare) / 100))
    data = build(pad)
    while len(data) > max_bytes:
        pad = int(pad * 0.98)
        data = build(pad)
    return data


def counts_on(html: str) -> dict[str, int]:
    return {name: int(value) for name, value in re.findall(r'data-count="(\w+)">(\d+)<', html)}


def main() -> int:
    label, remove = setup_database()
    os.environ["DJANGO_SETTINGS_MODULE"] = "lms.settings"
    os.environ.setdefault("DJANGO_ENV", "development")
    os.environ["DEBUG"] = "0"  # no query log kept in memory
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connections
    from django.test import Client
    from django.urls import reverse

    from lms.people.models import Member
    from lms.people.roles import Role

    print(f"database: {label}")
    failures: list[str] = []
    figures: list[dict] = []  # for the BENCH line that `make bench` (bench/run_all.py) reads
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("demo", members=2000, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        print(f"{'migrate + demo (2,000 members)':<44}{time.perf_counter() - started:6.1f} s")
        client = Client()
        client.force_login(get_user_model().objects.get(username="orgdept"))
        rng = random.Random(12)
        max_rows, max_bytes = settings.PEOPLE_IMPORT_MAX_ROWS, settings.PEOPLE_IMPORT_MAX_BYTES

        def check(ok: bool, what: str) -> None:
            if not ok:
                failures.append(what)
                print(f"  FAILED: {what}")

        def timed(step: str, call):
            started = time.perf_counter()
            response = call()
            seconds = time.perf_counter() - started
            print(f"{step:<44}{seconds:6.1f} s")
            figures.append(
                {
                    "name": step.strip(),
                    "value": round(seconds, 1),
                    "unit": "s",
                    "goal": f"< {TARGET_SECONDS:.0f}",
                    "ok": seconds < TARGET_SECONDS,
                }
            )
            check(seconds < TARGET_SECONDS, f"{step} took {seconds:.1f} s (limit {TARGET_SECONDS:.0f} s)")
            check(response.status_code == 200, f"{step} answered {response.status_code}")
            return response

        for file_format, prefix in (("csv", "15900"), ("xlsx", "15901")):
            plan = build_plan(rows_total=max_rows, new_prefix=prefix, rng=rng)
            data = padded_file(plan, file_format, max_bytes, rng)
            print(f"{file_format}: {len(plan.rows)} rows, {len(data) / 1024 / 1024:.2f} MB")
            check(len(plan.rows) == max_rows and len(data) <= max_bytes, "the file is at the caps")
            members_before = Member.objects.count()
            expected_preview = {
                "created": len(plan.new),
                "updated": len(plan.changed),
                "unchanged": len(plan.unchanged),
                "failed": len(plan.bad),
            }

            upload = SimpleUploadedFile(f"members.{file_format}", data)
            preview = timed(
                f"  upload and dry run ({file_format})",
                lambda upload=upload: client.post(reverse("people_member_import:index"), {"file": upload}),
            )
            html = preview.content.decode()
            check(
                counts_on(html) == expected_preview, f"dry-run counts {counts_on(html)} != {expected_preview}"
            )
            shown_bad = {int(n) for n in re.findall(r"<tr><td>(\d+)</td><td>", html)}
            check(shown_bad == plan.bad, f"bad rows listed: {len(shown_bad)}, expected {len(plan.bad)}")
            check(Member.objects.count() == members_before, "the dry run wrote members")
            token = re.search(r'name="token" value="([^"]+)"', html)
            check(token is not None, "the preview has the form to import")
            if token is None:
                continue

            result = timed(
                f"  import the good rows ({file_format})",
                lambda token=token: client.post(
                    reverse("people_member_import:confirm"), {"token": token.group(1)}
                ),
            )
            check(
                counts_on(result.content.decode()) == expected_preview,
                "import counts differ from the preview",
            )
            check(Member.objects.count() == members_before + len(plan.new), "members added != new rows")
            stored = dict(
                Member.objects.filter(phone__in=list(plan.changed)).values_list("phone", "category")
            )
            check(stored == plan.changed, "changed categories were not all saved")
            new_stored = {
                phone: (name, branch_id, category)
                for phone, name, branch_id, category in Member.objects.filter(
                    phone__in=list(plan.new)
                ).values_list("phone", "name", "branch_id", "category")
            }
            check(new_stored == plan.new, "new members were not saved as in the file")
            in_group = (
                get_user_model()
                .objects.filter(username__in=list(plan.new), groups__name=Role.MEMBER.value)
                .count()
            )
            check(
                in_group == len(plan.new), f"{in_group} of {len(plan.new)} new logins are in the member group"
            )

            again = timed(
                f"  the same confirm again ({file_format})",
                lambda token=token: client.post(
                    reverse("people_member_import:confirm"), {"token": token.group(1)}
                ),
            )
            expected_again = {
                "created": 0,
                "updated": 0,
                "unchanged": len(plan.new) + len(plan.changed) + len(plan.unchanged),
                "failed": len(plan.bad),
            }
            counts = counts_on(again.content.decode())
            check(counts == expected_again, f"second confirm counts {counts} != {expected_again}")
            check(Member.objects.count() == members_before + len(plan.new), "the second confirm duplicated")
    finally:
        connections.close_all()
        remove()
    print("all checks passed" if not failures else f"{len(failures)} check(s) FAILED")
    summary = {"bench": "member_import", "ok": not failures, "figures": figures, "failures": failures}
    print("BENCH " + json.dumps(summary, ensure_ascii=False), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

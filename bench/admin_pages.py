"""Time the staff pages and exports of issue 13 at county scale: 20,000 members with 1, 5 and 10 years.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/admin_pages.py

DATABASE_URL only names the PostgreSQL server. The databases come from bench/county_history.py
(built if missing or stale, else reused and migrated). For each size a real server runs on its own
port (uvicorn, DJANGO_ENV=production, static files collected once into BENCH_STATIC_ROOT, a
connection pool) with a `db_worker` next to it for the exports. The requests are sequential and
interleaved: every round asks each page of each size in turn, so a neighbour's load falls on all
sizes alike and the 10y/1y ratios compare like with like.

Pages, as township1 (township 1's staff) and orgdept (the organization department): the roll-call
list (考勤 → 点名, whose recent sessions hold the class of 1,200), members behind (学时 → 未达标)
page 1 and its last page, the per-township summary and the 5+1+N compliance overview (both
orgdept only; township1 must get 403); as member1: /me/, /me/classes/, /me/hours/; and /healthz/ as the
baseline. The first round is a warm-up that also checks what each page says: 200 and the expected
content (the class of 1,200, member1's name, a member row, the township summary's total of 20,000,
and members behind page 1 identical at every size, since earlier years must not change this
year's list, and member1's counted hours this year likewise). Then BENCH_REPEATS rounds (default
7) give the median and p90; a page slower than BENCH_SLOW_MS (3000) in the warm-up is asked
BENCH_SLOW_REPEATS (2) times only, to keep the run bounded.

Exports: the members-behind XLSX and CSV of each user and size: the time until the response (a
redirect to the export's progress page, or the file itself), then, polling the page's JSON status,
the time until the file is ready; the file is downloaded and read (its rows are the same at every
size and hold every member of the page).

Checks (exit 1 if any fails): every page answered as expected; every page's median under
BENCH_PAGE_LIMIT_MS (1000) at the largest size; 10y/1y ≤ BENCH_RATIO_LIMIT (1.3) for every page
(a page whose medians differ by less than BENCH_NOISE_MS, default 5 ms, passes: such a ratio is
jitter); export requests under BENCH_EXPORT_REQUEST_MS (1000); each export ready within
BENCH_EXPORT_READY_S (300). Lower a limit to see a check fail, e.g. BENCH_PAGE_LIMIT_MS=1.
BENCH_SIZES=1,10 measures fewer sizes, BENCH_EXPORTS=0 skips the exports. The last line is
`BENCH {json}` (format: bench/run_all.py).
"""

import atexit
import contextlib
import csv
import io
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import county_history  # noqa: E402

SIZES = tuple(int(part) for part in os.environ.get("BENCH_SIZES", "1,5,10").split(","))
REPEATS = int(os.environ.get("BENCH_REPEATS", "7"))
PORT = int(os.environ.get("BENCH_PORT", "8790"))
PAGE_LIMIT_MS = float(os.environ.get("BENCH_PAGE_LIMIT_MS", "1000"))
RATIO_LIMIT = float(os.environ.get("BENCH_RATIO_LIMIT", "1.3"))
NOISE_MS = float(os.environ.get("BENCH_NOISE_MS", "5"))
EXPORTS = os.environ.get("BENCH_EXPORTS", "1") != "0"
EXPORT_REQUEST_MS = float(os.environ.get("BENCH_EXPORT_REQUEST_MS", "1000"))
EXPORT_READY_S = float(os.environ.get("BENCH_EXPORT_READY_S", "300"))
SLOW_MS = float(os.environ.get("BENCH_SLOW_MS", "3000"))
SLOW_REPEATS = int(os.environ.get("BENCH_SLOW_REPEATS", "2"))
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", "/tmp/lms-bench-static")
PASSWORD = "demo"
ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "LOG_LEVEL": "WARNING",
    "DB_POOL_SIZE": "4",
    "STATIC_ROOT": STATIC_ROOT,
    "EXPORTS_ROOT": os.environ.get("BENCH_EXPORTS_ROOT", "/tmp/lms-bench-exports"),
    "TASKS_BACKEND": "database",
    # Production caches in Redis (db 4 and its own prefixes: other benchmarks and tests keep theirs).
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4"),
    "CACHE_KEY_PREFIX": "lms-bench-pages",
    "CHANNEL_PREFIX": "lms-bench-pages",
}
# Production cookies are Secure: the requests say they came through an HTTPS proxy (as nginx does).
HEADERS = {"X-Forwarded-Proto": "https"}

children: list[subprocess.Popen] = []


def stop_children() -> None:
    """Stop every process group this script started (servers and workers), never anything else."""
    for child in children:
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
    children.clear()


def on_signal(signum, _frame):
    stop_children()
    sys.exit(128 + signum)


def spawn(args: list[str], env: dict) -> subprocess.Popen:
    child = subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True)
    children.append(child)
    return child


def django_env(url: str, name: str) -> dict:
    return {**os.environ, **ENV, "DATABASE_URL": county_history.database_url(url, name)}


def start(url: str, name: str, port: int) -> str:
    env = django_env(url, name)
    spawn(
        [
            str(ROOT / ".venv/bin/uvicorn"),
            "lms.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--lifespan",
            "off",
            "--no-access-log",
        ],
        env,
    )
    if EXPORTS:
        spawn(
            [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.2", "-v", "0"],
            env,
        )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if requests.get(f"{base}/healthz/", timeout=1).status_code == 200:
                return base
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"uvicorn on {base} ({name}) did not answer")


def login(base: str, username: str) -> requests.Session:
    session = requests.Session()
    session.headers.update(HEADERS)
    session.get(f"{base}/login/", timeout=30)
    for cookie in session.cookies:
        cookie.secure = False
    answer = session.post(
        f"{base}/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
        },
        headers={"Origin": base.replace("http://", "https://"), "Referer": f"{base}/login/"},
        allow_redirects=False,
        timeout=30,
    )
    for cookie in session.cookies:
        cookie.secure = False
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        raise RuntimeError(f"{username} could not log in at {base}: {answer.status_code}")
    return session


# --- What the pages should say ----------------------------------------------------------------


def facts(url: str, name: str) -> dict:
    """What the database says the pages must show, read with SQL (not through the code measured)."""
    with psycopg.connect(county_history.database_url(url, name)) as conn:
        member1 = conn.execute(
            "SELECT m.name FROM people_member m JOIN auth_user u ON u.id = m.user_id "
            "WHERE u.username = 'member1'"
        ).fetchone()[0]
        big_class = conn.execute(
            "SELECT title FROM scheduling_trainingclass WHERE title LIKE %s",
            ["%" + county_history.BIG_CLASS_SUFFIX],
        ).fetchone()[0]
        members = conn.execute("SELECT count(*) FROM people_member").fetchone()[0]
        non_compliant = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT title FROM scheduling_trainingclass WHERE NOT is_compliant "
                "AND status <> 'cancelled'"
            ).fetchall()
        ]
    return {"member1": member1, "big_class": big_class, "members": members, "non_compliant": non_compliant}


ROW = re.compile(r'<tr data-testid="behind-row" data-member="(\d+)">(.*?)</tr>', re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
TAG = re.compile(r"<[^>]+>")


def behind_rows(html: str) -> list[tuple[str, ...]]:
    """The members-behind rows: (member id, branch, name, phone, category, counted, required, missing)."""
    return [
        (pk, *(TAG.sub("", cell).strip() for cell in CELL.findall(body))) for pk, body in ROW.findall(html)
    ]


def page_list(fact: dict) -> list[dict]:
    """Each page: who asks, the path, the status and content it must answer with."""
    big = fact["big_class"]
    total = f"{fact['members']}"
    pages = [{"label": "/healthz/", "user": None, "path": "/healthz/", "expect": ["ok"]}]
    for user in ("township1", "orgdept"):
        pages += [
            {
                "label": f"roll-call list · {user}",
                "user": user,
                "path": "/admin/attendance/roll-call/",
                "expect": [big],
            },
            {
                "label": f"members behind p1 · {user}",
                "user": user,
                "path": "/admin/attendance/hours/behind/",
                "expect": ['data-testid="behind-row"'],
                "rows": True,
            },
            {
                "label": f"members behind last page · {user}",
                "user": user,
                "path": "/admin/attendance/hours/behind/?p=last",
                "expect": ['data-testid="behind-row"'],
                "rows": True,
            },
        ]
    pages += [
        {
            "label": "5+1+N compliance · orgdept",
            "user": "orgdept",
            "path": "/admin/scheduling/compliance/",
            "expect": ["5+1+N"],
            "expect_any": fact["non_compliant"],
        },
        {
            "label": "5+1+N compliance · township1 (403)",
            "user": "township1",
            "path": "/admin/scheduling/compliance/",
            "status": 403,
            "expect": [],
        },
        {
            "label": "township summary · orgdept",
            "user": "orgdept",
            "path": "/admin/attendance/hours/townships/",
            "expect": [total],
        },
        {
            "label": "township summary · township1 (403)",
            "user": "township1",
            "path": "/admin/attendance/hours/townships/",
            "status": 403,
            "expect": [],
        },
        {"label": "/me/ · member1", "user": "member1", "path": "/me/", "expect": [fact["member1"]]},
        {"label": "/me/classes/ · member1", "user": "member1", "path": "/me/classes/", "expect": [big]},
        {
            "label": "/me/hours/ · member1",
            "user": "member1",
            "path": "/me/hours/",
            "expect": ['data-testid="counted-hours"'],
            # this year's hours are the same whatever the history before it
            "same": r'data-testid="counted-hours">([^<]+)<',
        },
    ]
    return pages


def fetch(session: requests.Session | None, base: str, path: str) -> tuple[float, requests.Response]:
    started = time.perf_counter()
    answer = (session or requests).get(f"{base}{path}", headers=HEADERS, allow_redirects=False, timeout=120)
    return (time.perf_counter() - started) * 1000, answer


# --- Exports ------------------------------------------------------------------------------------


STATUS_URL = re.compile(r'data-status-url="([^"]+)"')


def export(session: requests.Session, base: str, fmt: str) -> dict:
    """Ask for the behind export; time the request, then the wait until the file is ready; read it."""
    request_ms, answer = fetch(session, base, f"/admin/attendance/hours/behind/?export={fmt}")
    result = {"request_ms": request_ms, "status": answer.status_code, "ready_s": None, "rows": None}
    started = time.perf_counter()
    if answer.status_code in (301, 302, 303):
        job_page = session.get(f"{base}{answer.headers['Location']}", headers=HEADERS, timeout=30)
        found = STATUS_URL.search(job_page.text)
        if not found:
            result["error"] = "no status URL on the export page"
            return result
        while time.perf_counter() - started < EXPORT_READY_S:
            state = session.get(f"{base}{found.group(1)}", headers=HEADERS, timeout=30).json()
            if state.get("finished"):
                break
            time.sleep(0.2)
        else:
            result["error"] = f"not ready after {EXPORT_READY_S:.0f} s"
            return result
        result["ready_s"] = time.perf_counter() - started
        if not state.get("download_url"):
            result["error"] = f"finished without a file: {state.get('error') or state.get('status')}"
            return result
        answer = session.get(f"{base}{state['download_url']}", headers=HEADERS, timeout=120)
    elif answer.status_code == 200:
        result["ready_s"] = request_ms / 1000 + (time.perf_counter() - started)
    else:
        result["error"] = f"answered {answer.status_code}"
        return result
    result["phones"] = read_phones(answer.content, fmt)
    result["rows"] = len(result["phones"])
    return result


def read_phones(content: bytes, fmt: str) -> list[str]:
    """The phone column (4th) of every data row of the export."""
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(content), read_only=True).active
        rows = [
            [("" if value is None else str(value)) for value in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    return [row[3] for row in rows[1:] if len(row) > 3 and row[3]]


# --- Run ----------------------------------------------------------------------------------------


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
        return 2
    started = time.perf_counter()
    atexit.register(stop_children)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    built = county_history.build(url)
    names = {years: county_history.db_name(years) for years in SIZES}
    print("collectstatic …", flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=django_env(url, names[SIZES[0]]),
        check=True,
    )
    bases = {years: start(url, names[years], PORT + i) for i, years in enumerate(SIZES)}
    fact = {years: facts(url, names[years]) for years in SIZES}
    pages = page_list(fact[SIZES[0]])
    sessions = {
        (years, user): login(bases[years], user)
        for years in SIZES
        for user in ("township1", "orgdept", "member1")
    }
    failures: list[str] = []
    timings: dict[tuple[str, int], list[float]] = {}
    rows_seen: dict[tuple[str, int], list] = {}
    warm: dict[tuple[str, int], float] = {}

    # Warm-up round: every page once, checked.
    for page in pages:
        for years in SIZES:
            page_fact = fact[years]
            expect = [
                text.replace(fact[SIZES[0]]["big_class"], page_fact["big_class"]) for text in page["expect"]
            ]
            path = page["path"].replace("p=last", "p=999999")
            session = sessions[(years, page["user"])] if page["user"] else None
            ms, answer = fetch(session, bases[years], path)
            status = page.get("status", 200)
            missing = [text for text in expect if text not in answer.text]
            if page.get("expect_any") and not any(text in answer.text for text in page["expect_any"]):
                missing.append("any class that breaks 5+1+N")
            if answer.status_code != status or missing:
                failures.append(
                    f"{page['label']} at {years}y answered {answer.status_code} (expected {status})"
                    + (f", without {missing}" if missing else "")
                )
            if page.get("rows"):
                rows_seen[(page["label"], years)] = behind_rows(answer.text)
            if page.get("same"):
                rows_seen[(page["label"], years)] = re.findall(page["same"], answer.text)
            compared = page.get("rows") or page.get("same")
            if compared and answer.status_code == 200 and not rows_seen[(page["label"], years)]:
                failures.append(f"{page['label']} at {years}y: nothing to compare found on the page")
            warm[(page["label"], years)] = ms
    for page in pages:
        if page.get("rows") or page.get("same"):
            first = rows_seen.get((page["label"], SIZES[0]))
            for years in SIZES[1:]:
                if rows_seen.get((page["label"], years)) != first:
                    failures.append(f"{page['label']}: the rows at {years}y differ from {SIZES[0]}y")

    # Measured rounds, interleaved. A page that took over SLOW_MS in the warm-up is measured
    # SLOW_REPEATS times only, so a slow page cannot stretch `make bench` beyond a few minutes.
    slow = {page["label"] for page in pages if max(warm[(page["label"], y)] for y in SIZES) > SLOW_MS}
    for round_number in range(REPEATS):
        for page in pages:
            if page["label"] in slow and round_number >= SLOW_REPEATS:
                continue
            for years in SIZES:
                session = sessions[(years, page["user"])] if page["user"] else None
                ms, _answer = fetch(session, bases[years], page["path"].replace("p=last", "p=999999"))
                timings.setdefault((page["label"], years), []).append(ms)

    # Exports.
    export_results: dict[tuple[str, str, int], dict] = {}
    if EXPORTS:
        for user in ("township1", "orgdept"):
            for fmt in ("xlsx", "csv"):
                for years in SIZES:
                    result = export(sessions[(years, user)], bases[years], fmt)
                    export_results[(user, fmt, years)] = result
                    label = f"behind {fmt.upper()} · {user} at {years}y"
                    if result.get("error"):
                        failures.append(f"{label}: {result['error']}")
                        continue
                    page_phones = {
                        row[3] for row in rows_seen.get((f"members behind p1 · {user}", years), [])
                    }
                    if not result["rows"] or not page_phones <= set(result["phones"]):
                        failures.append(f"{label}: {result['rows']} rows, not every member of page 1")
                first = export_results[(user, fmt, SIZES[0])].get("rows")
                for years in SIZES[1:]:
                    if export_results[(user, fmt, years)].get("rows") != first:
                        failures.append(
                            f"behind {fmt.upper()} · {user}: rows at {years}y differ from {SIZES[0]}y"
                        )
    stop_children()

    # Report.
    small, large = SIZES[0], SIZES[-1]
    header = "".join(f"{f'{years}y p50/p90 ms':>20}" for years in SIZES)
    print(f"\n{'page':<40}{header}{f'{large}y/{small}y':>10}{'÷healthz':>10}")
    figures = []
    health = {years: statistics.median(timings[("/healthz/", years)]) for years in SIZES}
    for page in pages:
        medians = {years: statistics.median(timings[(page["label"], years)]) for years in SIZES}
        p90 = {years: pct(timings[(page["label"], years)], 0.9) for years in SIZES}
        cells = "".join(f"{f'{medians[years]:.0f} / {p90[years]:.0f}':>20}" for years in SIZES)
        ratio = medians[large] / medians[small] if medians[small] else float("inf")
        vs_health = medians[large] / health[large] if health[large] else float("inf")
        print(f"{page['label']:<40}{cells}{ratio:>10.2f}{vs_health:>10.1f}")
        fast = medians[large] < PAGE_LIMIT_MS
        flat = ratio <= RATIO_LIMIT or medians[large] - medians[small] < NOISE_MS
        if not fast:
            failures.append(
                f"{page['label']}: {medians[large]:.0f} ms at {large}y (limit {PAGE_LIMIT_MS:.0f} ms)"
            )
        if not flat and len(SIZES) > 1:
            failures.append(f"{page['label']}: {large}y/{small}y = {ratio:.2f} (limit {RATIO_LIMIT})")
        figures.append(
            {
                "name": f"{page['label']} p50 {large}y",
                "value": round(medians[large], 1),
                "unit": "ms",
                "goal": f"< {PAGE_LIMIT_MS:.0f}",
                "ok": fast,
            }
        )
        figures.append(
            {
                "name": f"{page['label']} {large}y/{small}y",
                "value": round(ratio, 2),
                "unit": "×",
                "goal": f"≤ {RATIO_LIMIT}",
                "ok": flat,
            }
        )
    if export_results:
        print(
            f"\n{'export (members behind)':<40}"
            + "".join(f"{f'{years}y request ms / ready s':>28}" for years in SIZES)
            + f"{'rows':>8}"
        )
        for user in ("township1", "orgdept"):
            for fmt in ("xlsx", "csv"):
                cells = ""
                for years in SIZES:
                    result = export_results[(user, fmt, years)]
                    ready = f"{result['ready_s']:.1f}" if result.get("ready_s") is not None else "—"
                    request_ms = result["request_ms"]
                    cells += f"{f'{request_ms:.0f} / {ready}':>28}"
                    if request_ms >= EXPORT_REQUEST_MS:
                        failures.append(
                            f"behind {fmt.upper()} · {user} at {years}y: the request took {request_ms:.0f} ms"
                        )
                last = export_results[(user, fmt, large)]
                print(f"{f'{fmt.upper()} · {user}':<40}{cells}{last.get('rows') or 0:>8}")
                figures.append(
                    {
                        "name": f"behind {fmt.upper()} · {user} request {large}y",
                        "value": round(last["request_ms"], 1),
                        "unit": "ms",
                        "goal": f"< {EXPORT_REQUEST_MS:.0f}",
                        "ok": last["request_ms"] < EXPORT_REQUEST_MS,
                    }
                )
                figures.append(
                    {
                        "name": f"behind {fmt.upper()} · {user} ready {large}y",
                        "value": round(last["ready_s"], 1) if last.get("ready_s") is not None else None,
                        "unit": "s",
                        "goal": f"< {EXPORT_READY_S:.0f}",
                        "ok": last.get("ready_s") is not None,
                    }
                )
    print("\n/healthz/ p50: " + ", ".join(f"{years}y {health[years]:.1f} ms" for years in SIZES))
    print(
        "databases: "
        + ", ".join(
            f"{names[years]} ({built[years]['counts']['attendance_records']} attendance records)"
            for years in SIZES
        )
    )
    for failure in failures:
        print(f"  FAIL {failure}")
    print(f"{'all checks passed' if not failures else f'{len(failures)} checks failed'}")
    summary = {
        "bench": "admin_pages",
        "ok": not failures,
        "seconds": round(time.perf_counter() - started, 1),
        "figures": figures,
        "failures": failures,
    }
    print("BENCH " + json.dumps(summary, ensure_ascii=False), flush=True)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())

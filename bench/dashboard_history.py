"""The dashboards (统计) and their exports at 1, 5 and 10 years of history: time and queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/dashboard_history.py

Builds (or reuses) the county databases of `bench/county_history.py` (20,000 members; the demo's
held year copied back to 5 and 10 years, ≈ 566,000 attendance records at ten), under names of its
own (`lms_dashboard_{1,5,10}y`, so another benchmark's run cannot drop them under it), bounded by
county_history's 15 minutes. Then one child process measures in-process with Django's test client
(no server, so the figures are the view's own cost), the sizes interleaved round by round:

- the county dashboard (organization department), a township's (its staff), a branch's with its
  members, the member ledger, the API, `/healthz/` for a same-run ratio;
- the dashboard's XLSX (all tables) and the annual report build (PDF + XLSX, the worker's task run
  in the child);
- first, the worker's refresh of the year's sums (lms.stats.services.figures_refresh, once per size);
- each REPEATS times (median ms) and its number of queries.

Checks (each can fail): every page answers 200; the queries of each page are the same at every
size; 10y/1y ≤ RATIO_LIMIT (1.5) per page; the seeding year's figures (members, met, classes held)
are the same at every size (earlier years added must not change this year's); the report is built.
Ends with one `BENCH {json}` line (bench/run_all.py).

BENCH_COUNTY=20m measures the issue's scale instead: `bench/county_20m.py`'s databases (the same
county with ≈ 2 M attendance records a year: `lms_s20m_1y` and `lms_s20m_10y`, ≈ 20 M), sizes 1 and 10.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SIZES = tuple(int(part) for part in os.environ.get("BENCH_SIZES", "1,5,10").split(","))
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
RATIO_LIMIT = float(os.environ.get("BENCH_RATIO_LIMIT", "1.5"))
NOISE_MS = float(os.environ.get("BENCH_NOISE_MS", "20"))  # below this, a ratio is noise
PREFIX = "lms_dashboard"
COUNTY = os.environ.get("BENCH_COUNTY", "history")  # or "20m": bench/county_20m.py's dense county


def measure() -> dict:
    """In the child: time and count every page on each database of BENCH_DATABASES, interleaved
    (round after round, every database in each round), so a change in the machine's load falls on
    every size alike."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
    os.environ.setdefault("DJANGO_ENV", "development")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from lms.people.models import Member
    from lms.people.selectors import branches_for_user
    from lms.stats import selectors, services
    from lms.stats.models import AnnualReport, ReportStatus

    year = int(os.environ["BENCH_YEAR"])
    names = os.environ["BENCH_DATABASES"].split(",")

    def use(name: str) -> None:
        connections["default"].close()
        connections["default"].settings_dict["NAME"] = name

    def pages_of() -> dict:
        users = get_user_model().objects
        org, township = users.get(username="orgdept"), users.get(username="township1")
        branch = branches_for_user(township).order_by("pk").first()
        member = Member.objects.filter(branch=branch).order_by("pk").first()
        return {
            "healthz": (org, "/healthz/"),
            "county": (org, f"/admin/stats/?year={year}"),
            "township": (township, f"/admin/stats/?year={year}"),
            "branch": (township, f"/admin/stats/branches/{branch.pk}/?year={year}"),
            "ledger": (township, f"/admin/stats/members/{member.pk}/?year={year}"),
            "api county": (org, f"/api/v1/stats?year={year}"),
            "county xlsx": (org, f"/admin/stats/?year={year}&export=xlsx"),
        }

    clients, pages, results, refreshed = {}, {}, {}, {}
    for name in names:
        use(name)
        # The worker's refresh of the year's sums (cron, every ten minutes), timed; the years before it
        # are summed on the first read if they never were.
        started = time.perf_counter()
        stamp = services.figures_refresh(year=year)
        refreshed[name] = {
            "ms": round((time.perf_counter() - started) * 1000, 1),
            "queries": 0,
            "status": 200 if stamp.rows else 500,
        }
        pages[name] = pages_of()
        results[name] = {page: {"times": [], "queries": 0, "status": 0} for page in pages[name]}
        for page, (user, _url) in pages[name].items():
            client = Client(HTTP_X_FORWARDED_PROTO="https", SERVER_NAME="localhost")
            client.force_login(user)
            clients[(name, page)] = client
    for round_ in range(REPEATS + 1):  # round 0 warms up (roles, caches, prepared plans)
        for name in names:
            use(name)
            for page, (_user, url) in pages[name].items():
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = clients[(name, page)].get(url, secure=True)
                    elapsed = (time.perf_counter() - started) * 1000
                row = results[name][page]
                row["status"] = max(row["status"], response.status_code)
                if round_:
                    row["times"].append(elapsed)
                    row["queries"] = len(queries)

    out = {}
    for name in names:
        use(name)
        org = get_user_model().objects.get(username="orgdept")
        dash = selectors.dashboard(org, selectors.home_place(org), year)
        facts = {
            "members": dash.coverage_total.members,
            "met": dash.coverage_total.met,
            "held": dash.classes["total"].held,
            "rotated": dash.coverage_total.rotated,
        }
        AnnualReport.objects.filter(user=org, year=year).delete()
        started = time.perf_counter()
        report = services.report_start(user=org, year=year)  # the immediate backend builds it here
        report.refresh_from_db()
        if report.status == ReportStatus.QUEUED:  # a database task backend: build it as the worker would
            services.report_build(report_id=report.pk)
            report.refresh_from_db()
        pages_out = {
            page: {
                "ms": round(statistics.median(row["times"]), 1),
                "queries": row["queries"],
                "status": row["status"],
            }
            for page, row in results[name].items()
        }
        pages_out["annual report"] = {
            "ms": round((time.perf_counter() - started) * 1000, 1),
            "queries": 0,
            "status": 200 if report.status == ReportStatus.DONE and report.pdf and report.xlsx else 500,
        }
        pages_out["refresh sums"] = refreshed[name]
        out[name] = {"pages": pages_out, "facts": facts}
    return out


def measure_all(url: str, years: tuple[int, ...], year: int) -> dict:
    import county_history

    env = {
        **os.environ,
        "DATABASE_URL": county_history.database_url(url, f"{PREFIX}_{years[0]}y"),
        "DJANGO_ENV": "development",
        "TASKS_BACKEND": "immediate",
        "BENCH_YEAR": str(year),
        "BENCH_DATABASES": ",".join(f"{PREFIX}_{y}y" for y in years),
    }
    output = subprocess.run(
        [sys.executable, __file__, "--measure"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    measured = json.loads(output.strip().splitlines()[-1])
    return {y: measured[f"{PREFIX}_{y}y"] for y in years}


def main() -> int:
    if "--measure" in sys.argv:
        print(json.dumps(measure()))
        return 0
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
        return 2
    global PREFIX, SIZES
    started = time.perf_counter()
    if COUNTY == "20m":
        import county_20m

        PREFIX, SIZES = county_20m.PREFIX, county_20m.SIZES
        built = county_20m.build(url, rebuild=bool(os.environ.get("BENCH_REBUILD")))["built"]
    else:
        import county_history

        county_history.db_name = lambda years: f"{PREFIX}_{years}y"
        county_history.SIZES = SIZES
        built = county_history.build(url, rebuild=bool(os.environ.get("BENCH_REBUILD")))
    build_seconds = round(time.perf_counter() - started, 1)
    year = int(built[SIZES[0]]["seed_day"][:4])
    for years in SIZES:
        print(
            f"{PREFIX}_{years}y: {built[years]['counts']['attendance_records']} attendance records",
            flush=True,
        )
    measured = measure_all(url, SIZES, year)

    first, last = SIZES[0], SIZES[-1]
    names = list(measured[first]["pages"])
    print(f"\nyear {year}; median of {REPEATS} (ms) / queries; machine load {os.getloadavg()[0]:.1f}")
    print(f"{'page':<16}" + "".join(f"{f'{y}y':>16}" for y in SIZES) + f"{f'{last}y/{first}y':>10}")
    checks, figures = {}, {}
    for name in names:
        cells = [measured[y]["pages"][name] for y in SIZES]
        a, b = cells[0]["ms"], cells[-1]["ms"]
        ratio = round(b / a, 2) if a else None
        print(f"{name:<16}" + "".join(f"{c['ms']:>10} / {c['queries']:<3}" for c in cells) + f"{ratio!s:>10}")
        figures[name] = {f"{y}y_ms": c["ms"] for y, c in zip(SIZES, cells, strict=True)}
        figures[name]["queries"] = cells[0]["queries"]
        figures[name]["ratio"] = ratio
        checks[f"{name}: 200 at every size"] = all(c["status"] == 200 for c in cells)
        if name not in ("healthz", "annual report", "refresh sums"):
            checks[f"{name}: same queries at every size"] = len({c["queries"] for c in cells}) == 1
            checks[f"{name}: {last}y/{first}y ≤ {RATIO_LIMIT}"] = b - a <= NOISE_MS or (
                ratio is not None and ratio <= RATIO_LIMIT
            )
    healthz = measured[last]["pages"]["healthz"]["ms"] or 1
    for name in names:
        figures[name]["vs_healthz_10y"] = round(measured[last]["pages"][name]["ms"] / healthz, 1)
    facts = {y: measured[y]["facts"] for y in SIZES}
    checks["this year's figures are the same at every size"] = all(
        {k: v for k, v in facts[y].items() if k != "rotated"}
        == {k: v for k, v in facts[first].items() if k != "rotated"}
        for y in SIZES
    )
    checks["the county has members and some met the requirement"] = (
        facts[first]["members"] > 0 < facts[first]["met"]
    )
    print(f"figures of {year}: " + json.dumps(facts[first], ensure_ascii=False))
    for label, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {label}")
    summary = {
        "bench": "dashboard_history",
        "ok": all(checks.values()),
        "build_seconds": build_seconds,
        "figures": figures,
        "failures": [label for label, ok in checks.items() if not ok],
    }
    print("BENCH " + json.dumps(summary, ensure_ascii=False), flush=True)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

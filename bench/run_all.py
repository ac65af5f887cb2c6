"""`make bench`: run every benchmark, one after the other, and print one table of their figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python bench/run_all.py [name …]

Names (default: all, in this order): admin_pages, checkin_burst, classroom_fanout, member_import,
demo_members, janus_fanout, exam_deadline, heartbeats, hls_fanout, dashboard_history (BENCH_ONLY=a,b
does the same as naming them).
Each runs as its own process group with its output shown as it comes; one that outlives BENCH_TIMEOUT
seconds (default 1200) is stopped, group and all, and counts as failed. The table at the end gives each
benchmark's verdict and time, then its figures, with the date and the machine; the exit status is 1 when any
benchmark failed.

The BENCH line. Each benchmark prints, as the last line starting with `BENCH `, one JSON object:

    BENCH {"bench": "admin_pages", "ok": true, "seconds": 312.5,
           "figures": [{"name": "roll-call list · orgdept p50 10y", "value": 236.3, "unit": "ms",
                        "goal": "< 1000", "ok": true}, …],
           "failures": ["…what failed, in words…"]}

`bench` names it, `ok` is its own verdict (its checks passed), `figures` are what the table shows
(`goal` and `ok` may be left out of a figure that is only informative), `failures` say why `ok` is
false. A flat object is read too: `passed` stands for `ok`, and every other number becomes a figure
named by its key. A benchmark that prints no BENCH line, or whose exit status is not 0, fails
whatever its line says.
"""

import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = (
    "admin_pages",
    "checkin_burst",
    "classroom_fanout",
    "member_import",
    "demo_members",
    "janus_fanout",
    "exam_deadline",
    "heartbeats",
    "hls_fanout",
    "dashboard_history",
)
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "1200"))


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}: {os.cpu_count()} cores {cpu}, {platform.system()} {platform.release()}"


def run(name: str) -> dict:
    """Run bench/<name>.py, echo its output, return its BENCH object with our verdict added."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-u", str(ROOT / "bench" / f"{name}.py")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    line_found = None
    timed_out = False

    def stop(*_):
        nonlocal timed_out
        timed_out = True
        try:
            os.killpg(child.pid, signal.SIGTERM)
            time.sleep(5)
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
    try:
        for line in child.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if line.startswith("BENCH "):
                line_found = line[len("BENCH ") :]
        child.wait()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    seconds = time.perf_counter() - started
    result: dict = {}
    problems = []
    if line_found:
        try:
            result = json.loads(line_found)
        except json.JSONDecodeError:
            problems.append("its BENCH line is not JSON")
    else:
        problems.append("no BENCH line")
    if timed_out:
        problems.append(f"stopped after {TIMEOUT:.0f} s")
    elif child.returncode != 0:
        problems.append(f"exit status {child.returncode}")
    own_verdict = result.get("ok", result.get("passed"))
    if own_verdict is False:
        problems.append("its checks failed")
    return {
        "bench": name,
        "ok": not problems and own_verdict is not False,
        "seconds": seconds,
        "problems": problems,
        "figures": figures_of(result),
        "failures": result.get("failures") or [],
    }


def figures_of(result: dict) -> list[dict]:
    if isinstance(result.get("figures"), list):
        return [figure for figure in result["figures"] if isinstance(figure, dict)]
    skip = {"bench", "ok", "passed", "failures", "seconds"}
    return [
        {"name": key, "value": value}
        for key, value in result.items()
        if key not in skip and isinstance(value, int | float) and not isinstance(value, bool)
    ]


def show(value) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    return "—" if value is None else str(value)


def table(results: list[dict]) -> None:
    print("\n" + "=" * 100)
    print(f"make bench, {time.strftime('%Y-%m-%d %H:%M %Z')}, {machine()}")
    print("=" * 100)
    print(f"{'benchmark':<20}{'verdict':<10}{'time':>9}  why")
    for result in results:
        verdict = "ok" if result["ok"] else "FAILED"
        why = "; ".join(result["problems"])
        print(f"{result['bench']:<20}{verdict:<10}{result['seconds']:>8.0f}s  {why}")
    print(f"\n{'benchmark':<18}{'figure':<52}{'value':>12} {'unit':<5}{'goal':<10}ok")
    for result in results:
        for figure in result["figures"]:
            ok = figure.get("ok")
            mark = "" if ok is None else ("yes" if ok else "NO")
            print(
                f"{result['bench']:<18}{str(figure.get('name', ''))[:51]:<52}{show(figure.get('value')):>12} "
                f"{figure.get('unit', ''):<5}{figure.get('goal', ''):<10}{mark}"
            )
        failures = result["failures"]
        for failure in [failures] if isinstance(failures, str) else failures:
            if failure:
                print(f"{result['bench']:<18}FAILED: {failure}")
    failed = [result["bench"] for result in results if not result["ok"]]
    print(f"\n{'all benchmarks passed' if not failed else 'failed: ' + ', '.join(failed)}")


def main() -> int:
    names = [arg for arg in sys.argv[1:] if not arg.startswith("-")] or [
        name for name in os.environ.get("BENCH_ONLY", ",".join(BENCHMARKS)).split(",") if name
    ]
    unknown = [name for name in names if not (ROOT / "bench" / f"{name}.py").exists()]
    if unknown:
        print(f"No such benchmark: {', '.join(unknown)} (known: {', '.join(BENCHMARKS)})")
        return 2
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
        return 2
    results = []
    for name in names:
        print(f"\n==> bench/{name}.py", flush=True)
        results.append(run(name))
    table(results)
    return 0 if all(result["ok"] for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())

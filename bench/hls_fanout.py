"""Live HLS fan-out through nginx: 500 phones following one live lecture.

    .venv/bin/python bench/hls_fanout.py        (HLS_CLIENTS=500 HLS_SECONDS=40 by default)

A real ffmpeg writes live HLS from a test pattern (`-f lavfi testsrc` + a tone) with the options the
live HLS supervisor uses (lms/classroom/live_hls.ffmpeg_command: H.264/AAC, LIVE_HLS_SEGMENT_SECONDS
segments, a sliding playlist). A private nginx on a free port serves it with the very location block
of deploy/nginx.conf (secure_link checking each signed URL), and also answers /healthz/ itself: the
floor a request to this nginx costs, measured by the same clients in the same run.

HLS_CLIENTS asyncio clients (raw HTTP/1.1 keep-alive connections, as a phone's player holds one)
each do what hls.js does: load the playlist every half segment, fetch each new segment once, starting
at the live edge. Printed: p50/p99 segment fetch time against the segment length (and against the
/healthz/ floor), p99 playlist fetch time, and the share of clients that kept up (every segment
published while they watched was fetched, none later than one segment length after it appeared).

Checks (each can fail; HLS_P99_GOAL_SHARE=0.0001 makes the first fail on purpose):
- segment fetch p99 < HLS_P99_GOAL_SHARE (default 0.5) × the segment length;
- ≥ 95 % of clients kept up;
- a URL with a wrong signature and an expired one are refused (403) by nginx;
- every segment fetched is a non-empty MPEG-TS (starts with the 0x47 sync byte).
Prints a BENCH line (bench/run_all.py).
"""

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("SECRET_KEY", "bench-hls-fanout")
os.environ["LIVE_HLS_SECRET"] = os.environ.get("LIVE_HLS_SECRET") or "bench-" + os.urandom(8).hex()

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from lms.classroom import live_hls  # noqa: E402

CLIENTS = int(os.environ.get("HLS_CLIENTS", "500"))
SECONDS = float(os.environ.get("HLS_SECONDS", "40"))
P99_GOAL_SHARE = float(os.environ.get("HLS_P99_GOAL_SHARE", "0.5"))
KEPT_UP_GOAL = 0.95
SEGMENT = settings.LIVE_HLS_SEGMENT_SECONDS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_config(directory: Path, root: Path, port: int) -> str:
    """The live HLS location of deploy/nginx.conf, pointed at this run's folder and secret."""
    deploy = (ROOT / "deploy" / "nginx.conf").read_text()
    found = re.search(r"\n(    location ~ \"\^/live-hls/.*?\n    \})\n", deploy, re.S)
    if not found:
        raise SystemExit("deploy/nginx.conf has no live HLS location")
    location = (
        found.group(1)
        .replace("/srv/lms/private/live-hls/", f"{root}/")
        .replace("CHANGE-ME-LIVE_HLS_SECRET", settings.LIVE_HLS_SECRET)
    )
    return f"""
worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
worker_rlimit_nofile 8192;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location = /healthz/ {{ return 200 "ok"; }}
{location}
    }}
}}
"""


class Connection:
    """One keep-alive HTTP/1.1 connection (as a phone's player holds one)."""

    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def get(self, path: str) -> tuple[int, bytes]:
        for attempt in range(2):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
                self.writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
                head = await self.reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
                body = await self.reader.readexactly(length)
                return status, body
            except (OSError, asyncio.IncompleteReadError, AttributeError):
                self.close()
                if attempt:
                    raise
        raise OSError("unreachable")

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def segments(playlist: bytes) -> list[int]:
    return [int(n) for n in re.findall(rb"seg-(\d+)\.ts", playlist)]


async def client(port: int, base: str, until: float, appeared: dict[int, float], result: dict) -> None:
    connection = Connection(port)
    seen: set[int] = set()
    started = None
    try:
        while time.perf_counter() < until:
            began = time.perf_counter()
            status, body = await connection.get(base + live_hls.PLAYLIST)
            result["playlist"].append(time.perf_counter() - began)
            if status != 200:
                result["errors"] += 1
                await asyncio.sleep(SEGMENT / 2)
                continue
            listed = segments(body)
            if started is None and listed:
                started = listed[-1]  # hls.js starts near the live edge
            for number in listed:
                appeared.setdefault(number, time.perf_counter())  # first seen in a playlist by anyone
                if number < started or number in seen:
                    continue
                began = time.perf_counter()
                status, data = await connection.get(f"{base}seg-{number}.ts")
                done = time.perf_counter()
                if status != 200 or not data or data[0] != 0x47:
                    result["errors"] += 1
                    continue
                seen.add(number)
                result["segment"].append(done - began)
                result["late"].append(done - appeared[number])
            await asyncio.sleep(SEGMENT / 2)
    finally:
        connection.close()
    result["seen"] = seen
    result["first"] = started


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def floor(port: int, clients: int, rounds: int = 5) -> list[float]:
    """/healthz/ from the same number of connections: what any request to this nginx costs now."""
    times = []

    async def one():
        connection = Connection(port)
        for _ in range(rounds):
            began = time.perf_counter()
            await connection.get("/healthz/")
            times.append(time.perf_counter() - began)
        connection.close()

    await asyncio.gather(*(one() for _ in range(clients)))
    return times


def status_of(port: int, path: str) -> int:
    return asyncio.run(Connection(port).get(path))[0]


def main() -> int:
    failures, figures = [], []
    nginx_bin, ffmpeg_bin = shutil.which("nginx") or "/usr/sbin/nginx", shutil.which("ffmpeg")
    if not os.path.exists(nginx_bin) or not ffmpeg_bin:
        print(
            "BENCH "
            + json.dumps({"bench": "hls_fanout", "ok": False, "failures": ["nginx or ffmpeg missing"]})
        )
        return 1
    directory = Path(tempfile.mkdtemp(prefix="hls-fanout-"))
    os.chmod(directory, 0o755)  # nginx's workers (nobody) read the files
    root = directory / "live-hls"
    room = 1
    folder = root / live_hls.room_folder(room)
    folder.mkdir(parents=True)
    os.chmod(root, 0o755)
    port = free_port()
    (directory / "nginx.conf").write_text(nginx_config(directory, root, port))
    source = [
        "-re",
        *(
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=854x480:rate=25[out0];sine=frequency=440:sample_rate=48000[out1]",
        ),
    ]
    ffmpeg = subprocess.Popen(
        live_hls.ffmpeg_command(folder, None, ffmpeg_bin, source=source),
        stdout=subprocess.DEVNULL,
        stderr=open(directory / "ffmpeg.log", "wb"),  # noqa: SIM115
        start_new_session=True,
    )
    nginx = subprocess.Popen(
        [nginx_bin, "-c", str(directory / "nginx.conf"), "-p", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=open(directory / "nginx.stderr", "wb"),  # noqa: SIM115
        start_new_session=True,
    )
    try:
        deadline = time.time() + 60
        while (
            len(
                segments(
                    (folder / live_hls.PLAYLIST).read_bytes() if (folder / "index.m3u8").exists() else b""
                )
            )
            < 3
        ):
            if time.time() > deadline or ffmpeg.poll() is not None:
                raise RuntimeError(
                    "ffmpeg wrote no playlist: " + (directory / "ffmpeg.log").read_text()[-1000:]
                )
            time.sleep(0.2)
        expires = int(time.time()) + 3600
        base = live_hls.playlist_url(room, expires).removesuffix(live_hls.PLAYLIST)
        for _ in range(100):  # nginx listens
            try:
                if status_of(port, "/healthz/") == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("nginx does not answer: " + (directory / "nginx.stderr").read_text()[-1000:])

        # The location checks signatures: a wrong one and an expired one are refused.
        signature, _expires, folder_name = base.removeprefix("/live-hls/").strip("/").split("/")
        wrong = f"/live-hls/{'A' * len(signature)}/{expires}/{folder_name}/{live_hls.PLAYLIST}"
        past = int(time.time()) - 10
        expired = (
            f"/live-hls/{live_hls.signature(past, folder_name)}/{past}/{folder_name}/{live_hls.PLAYLIST}"
        )
        refused = [
            status_of(port, wrong),
            status_of(port, expired),
            status_of(port, base + live_hls.PLAYLIST),
        ]
        print(f"wrong signature → {refused[0]}, expired → {refused[1]}, signed → {refused[2]}")
        if refused != [403, 403, 200]:
            failures.append(
                f"nginx answered {refused} to a wrong, an expired and a good signature (want 403, 403, 200)"
            )

        floor_times = asyncio.run(floor(port, CLIENTS))
        results = [{"playlist": [], "segment": [], "late": [], "errors": 0} for _ in range(CLIENTS)]
        appeared: dict[int, float] = {}

        async def everyone():
            until = time.perf_counter() + SECONDS
            await asyncio.gather(*(client(port, base, until, appeared, results[n]) for n in range(CLIENTS)))

        began = time.perf_counter()
        asyncio.run(everyone())
        elapsed = time.perf_counter() - began
    finally:
        for process in (ffmpeg, nginx):
            process.send_signal(signal.SIGTERM if process is nginx else signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    segment_times = [t for r in results for t in r["segment"]]
    playlist_times = [t for r in results for t in r["playlist"]]
    published = set(appeared)
    last = max(published) if published else 0
    kept_up = 0
    for result in results:
        # Segments published while it watched (but the last, which may have appeared as time ran out).
        wanted = {n for n in published if result.get("first") is not None and result["first"] <= n < last}
        on_time = all(late <= SEGMENT for late in result["late"])
        if wanted <= result.get("seen", set()) and on_time and not result["errors"]:
            kept_up += 1
    share = kept_up / CLIENTS
    p50, p99 = percentile(segment_times, 0.5) * 1000, percentile(segment_times, 0.99) * 1000
    floor50 = percentile(floor_times, 0.5) * 1000
    goal_ms = P99_GOAL_SHARE * SEGMENT * 1000
    fetched = sum(len(r["seen"]) for r in results if "seen" in r)
    print(
        f"{CLIENTS} clients for {elapsed:.0f} s, {len(published)} segments of {SEGMENT} s published, "
        f"{len(segment_times)} segment fetches ({fetched / elapsed:.0f}/s), "
        f"{sum(r['errors'] for r in results)} errors"
    )
    print(
        f"segment fetch: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"(segment {SEGMENT * 1000} ms; goal p99 < {goal_ms:.0f} ms)"
    )
    print(
        f"playlist fetch p99 {percentile(playlist_times, 0.99) * 1000:.1f} ms; "
        f"/healthz/ p50 {floor50:.2f} ms (floor)"
    )
    print(f"segment p50 = {p50 / floor50 if floor50 else 0:.1f}× the /healthz/ floor; kept up: {share:.1%}")
    figures += [
        {"name": "segment fetch p50", "value": round(p50, 1), "unit": "ms"},
        {
            "name": "segment fetch p99",
            "value": round(p99, 1),
            "unit": "ms",
            "goal": f"< {goal_ms:.0f}",
            "ok": p99 < goal_ms,
        },
        {
            "name": "playlist fetch p99",
            "value": round(percentile(playlist_times, 0.99) * 1000, 1),
            "unit": "ms",
        },
        {"name": "/healthz/ p50 (floor)", "value": round(floor50, 2), "unit": "ms"},
        {"name": "segment p50 / floor", "value": round(p50 / floor50, 1) if floor50 else 0, "unit": "×"},
        {
            "name": f"clients kept up ({CLIENTS})",
            "value": round(100 * share, 1),
            "unit": "%",
            "goal": "≥ 95",
            "ok": share >= KEPT_UP_GOAL,
        },
    ]
    if not p99 < goal_ms:
        failures.append(f"segment fetch p99 {p99:.0f} ms is not under {goal_ms:.0f} ms")
    if share < KEPT_UP_GOAL:
        failures.append(f"only {share:.1%} of the clients kept up (goal {KEPT_UP_GOAL:.0%})")
    if len(published) < SECONDS / SEGMENT / 2:
        failures.append(f"only {len(published)} segments were published in {SECONDS:.0f} s")
    shutil.rmtree(directory, ignore_errors=True)
    summary = {"bench": "hls_fanout", "ok": not failures, "figures": figures, "failures": failures}
    print(f"BENCH {json.dumps(summary, ensure_ascii=False)}", flush=True)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())

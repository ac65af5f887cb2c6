"""Real ASGI server processes (uvicorn) on the test database, for tests that need websockets across
processes or in a browser (pytest-django's live server speaks only HTTP)."""

import os
import socket
import subprocess
import time
from pathlib import Path
from urllib.request import urlopen

from django.conf import settings
from django.db import connection

from tests.clock import shift_env

ROOT = Path(__file__).resolve().parents[1]
WS_MAX_SIZE = 262_144  # as deploy/uvicorn.sh


START_SECONDS = 150


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, redis_url: str | None = None) -> subprocess.Popen:
    """uvicorn on the test database and the test Redis (the same settings as this test), or the
    Redis at `redis_url`; its clock runs as this test's (frozen) one."""
    db = connection.settings_dict
    host, port_number = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    # The server uses this process's database, channel prefix and cache prefix as they are (under
    # pytest-xdist, this worker's): without PYTEST_XDIST_WORKER it adds no suffix of its own.
    env = {name: value for name, value in os.environ.items() if name != "PYTEST_XDIST_WORKER"}
    env |= {
        "DJANGO_SETTINGS_MODULE": "lms.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{host}:{port_number}/{db['NAME']}",
        "REDIS_URL": redis_url or settings.REDIS_URL,
        "CHANNEL_PREFIX": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "lms"),
        "CACHE_KEY_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", "lms"),
        **shift_env(),
    }
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/uvicorn"),
            "tests.asgi_with_static:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        + ["--lifespan", "off", "--no-access-log", "--ws-max-size", str(WS_MAX_SIZE)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # A deadline, not a number of tries: on two cores busy with the rest of the suite (browsers, Janus)
    # the server's start has taken close to a minute, and each try may wait its whole timeout.
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2).status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    exited = process.poll()
    process.kill()
    if exited is not None:
        raise RuntimeError(f"uvicorn exited with status {exited} before answering")
    raise RuntimeError(f"uvicorn did not answer within {START_SECONDS} s")


def start_redis(port: int) -> subprocess.Popen:
    """A private Redis server (no persistence), for tests that stop and restart it."""
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(50):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("redis-server did not answer")

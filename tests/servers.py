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

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    """uvicorn on the test database and the test Redis (the same settings as this test)."""
    db = connection.settings_dict
    host, port_number = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{host}:{port_number}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CHANNEL_PREFIX": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "lms"),
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
        + ["--lifespan", "off", "--no-access-log"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(150):
        try:
            if urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=1).status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("uvicorn did not answer")

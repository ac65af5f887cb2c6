"""Skip-or-fail for tests that need a real service (PostgreSQL, Redis, Chromium).

Locally a missing service skips the test with the reason; with REQUIRE_SERVICES=1 (CI) it fails, so a
green CI run proves the real parts were exercised.
"""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def need(condition: bool, reason: str) -> None:
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def need_postgres() -> None:
    need(connection.vendor == "postgresql", "PostgreSQL is not configured (set DATABASE_URL)")


def _answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def need_redis() -> None:
    url = getattr(settings, "REDIS_URL", "")
    need(bool(url), "Redis is not configured (set REDIS_URL)")
    need(_answers(url), f"Redis at {url} does not answer")


def need_chromium() -> str:
    found = os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)
    need(bool(found), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM

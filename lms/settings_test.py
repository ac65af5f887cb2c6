"""Test profile: the same settings with DJANGO_ENV=test, fast hashing, a throwaway media folder."""

import os
import tempfile

os.environ.setdefault("DJANGO_ENV", "test")

from lms.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SMS_BACKEND = "lms.accounts.sms.locmem.SmsBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="lms-test-media-")
# A worker process a test starts writes where that test reads (tests/exports/conftest.py).
EXPORTS_ROOT = os.environ.get("LMS_TEST_EXPORTS_ROOT") or tempfile.mkdtemp(prefix="lms-test-exports-")
DEBUG = False

# Parallel test processes (pytest-xdist's workers gw0, gw1, ...) share one Redis: each keeps its own
# cache keys and channel names, as each has its own test database. Servers a test starts are given
# the prefixes as they are here (tests/servers.py).
_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and REDIS_URL:  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] += f"-{_worker}"  # noqa: F405
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] += f"-{_worker}"  # noqa: F405

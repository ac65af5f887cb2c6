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

# The tests need PostgreSQL's behaviour, not its durability: a commit does not wait for its WAL to reach
# the disk (a crash of the machine could lose the last fraction of a second of test data, which nobody
# keeps; constraints, locks and isolation are unchanged). Migrating the test template took 64 s with it
# and 43 s without; every transactional test's flush commits too. The fault tests
# (tests/faults/) run their servers with production settings and PostgreSQL's default.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["OPTIONS"]["options"] += " -c synchronous_commit=off"  # noqa: F405

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

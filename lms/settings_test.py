"""Test profile: the same settings with DJANGO_ENV=test, fast hashing, a throwaway media folder."""

import os
import tempfile

os.environ.setdefault("DJANGO_ENV", "test")

from lms.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SMS_BACKEND = "lms.accounts.sms.locmem.SmsBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="lms-test-media-")
DEBUG = False

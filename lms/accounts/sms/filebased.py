"""Appends each message to a file in SMS_FILE_PATH (one file per day), e.g. for a staging server
whose operators read codes from the file instead of a phone."""

import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from lms.accounts.sms.console import SmsBackend as ConsoleSmsBackend


class SmsBackend(ConsoleSmsBackend):
    def __init__(self, *args, file_path=None, **kwargs):
        self.file_path = Path(file_path or getattr(settings, "SMS_FILE_PATH", "") or "")
        if not str(self.file_path) or str(self.file_path) == ".":
            raise ImproperlyConfigured("The file-based SMS backend needs SMS_FILE_PATH (a folder).")
        if self.file_path.exists() and not self.file_path.is_dir():
            raise ImproperlyConfigured(f"SMS_FILE_PATH {self.file_path} exists and is not a folder.")
        os.makedirs(self.file_path, exist_ok=True)
        kwargs["stream"] = None
        super().__init__(*args, **kwargs)

    def send_messages(self, messages):
        if not messages:
            return 0
        name = self.file_path / f"sms-{timezone.localdate():%Y%m%d}.log"
        with self._lock, open(name, "a", encoding="utf-8") as stream:
            self.stream = stream
            try:
                return super().send_messages(messages)
            finally:
                self.stream = None

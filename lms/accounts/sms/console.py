"""Writes each message to standard output: the server's console and log (the default, for development)."""

import sys
import threading

from lms.accounts.sms.base import BaseSmsBackend, SmsMessage


class SmsBackend(BaseSmsBackend):
    def __init__(self, *args, stream=None, **kwargs):
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()
        super().__init__(*args, **kwargs)

    def write_message(self, message: SmsMessage) -> None:
        self.stream.write(f"SMS to {message.to}: {message.body}\n")

    def send_messages(self, messages: list[SmsMessage]) -> int:
        if not messages:
            return 0
        sent = 0
        with self._lock:
            try:
                for message in messages:
                    self.write_message(message)
                    sent += 1
                self.stream.flush()
            except Exception:
                if not self.fail_silently:
                    raise
        return sent

"""Keeps messages in `lms.accounts.sms.outbox` (the test backend, like Django's locmem mail backend)."""

from lms.accounts import sms
from lms.accounts.sms.base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not hasattr(sms, "outbox"):
            sms.outbox = []

    def send_messages(self, messages):
        sms.outbox.extend(messages)
        return len(messages)

"""The interface every SMS backend implements, in the style of Django's e-mail backends.

A backend for a real gateway (Aliyun, Tencent Cloud, a county operator's HTTP gateway...) subclasses
`BaseSmsBackend`, reads its own settings (account, key, signature, template id) in `__init__`, and
implements `send_messages`: deliver each message, return how many were accepted, and raise on failure
unless `fail_silently`. Point `SMS_BACKEND` at its dotted path, e.g.
`SMS_BACKEND=myproject.sms.AliyunSmsBackend`. The gateway is called from a background task after the
request's transaction committed, so a slow gateway does not hold the request (see accounts/tasks.py).

Messages must stay short (one SMS is 70 Chinese characters) and carry no secret besides the code.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SmsMessage:
    to: str  # a normalised mainland mobile number (people.services.validate_phone)
    body: str


class BaseSmsBackend:
    def __init__(self, fail_silently: bool = False, **kwargs):
        self.fail_silently = fail_silently

    def open(self):
        """Open a connection to the gateway if it needs one (e.g. a session); optional."""

    def close(self):
        """Close what `open` opened; optional."""

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc_info):
        self.close()

    def send_messages(self, messages: list[SmsMessage]) -> int:
        """Send `messages`; return how many were sent."""
        raise NotImplementedError("subclasses of BaseSmsBackend must override send_messages()")

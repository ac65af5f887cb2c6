"""Sending text messages through the backend named by the SMS_BACKEND setting.

Backends: `console` (default: prints to the server's console), `filebased` (SMS_FILE_PATH), `locmem`
(tests: `lms.accounts.sms.outbox`). A real gateway implements `base.BaseSmsBackend`.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from lms.accounts.sms.base import BaseSmsBackend, SmsMessage

__all__ = ["BaseSmsBackend", "SmsMessage", "get_connection", "send_sms"]

outbox: list[SmsMessage] = []  # filled by the locmem backend


def get_connection(backend: str | None = None, fail_silently: bool = False, **kwargs) -> BaseSmsBackend:
    klass = import_string(backend or settings.SMS_BACKEND)
    return klass(fail_silently=fail_silently, **kwargs)


def send_sms(to: str, body: str, *, fail_silently: bool = False, connection=None) -> int:
    connection = connection or get_connection(fail_silently=fail_silently)
    return connection.send_messages([SmsMessage(to=to, body=body)])

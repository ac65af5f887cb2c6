"""The SMS backends, chosen like Django's e-mail backends by the SMS_BACKEND setting."""

import io

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured

from lms.accounts import sms
from lms.accounts.sms.base import BaseSmsBackend, SmsMessage
from lms.accounts.sms.console import SmsBackend as ConsoleSmsBackend
from lms.accounts.sms.filebased import SmsBackend as FileSmsBackend
from tests.accounts.helpers import MORNING


def test_the_test_settings_use_the_outbox(sms_outbox):
    assert sms.send_sms("13912345678", "您好") == 1
    assert sms_outbox == [SmsMessage(to="13912345678", body="您好")]


def test_console_backend_prints_the_message():
    stream = io.StringIO()
    connection = sms.get_connection("lms.accounts.sms.console.SmsBackend", stream=stream)
    assert isinstance(connection, ConsoleSmsBackend)
    assert sms.send_sms("13912345678", "验证码 123456", connection=connection) == 1
    assert stream.getvalue() == "SMS to 13912345678: 验证码 123456\n"


def test_console_is_the_default_outside_tests():
    from lms import settings as base_settings

    assert base_settings.SMS_BACKEND == "lms.accounts.sms.console.SmsBackend"


def test_file_backend_appends_to_a_file_of_the_day(tmp_path, settings):
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    with time_machine.travel(MORNING, tick=False):
        connection = sms.get_connection("lms.accounts.sms.filebased.SmsBackend")
        assert isinstance(connection, FileSmsBackend)
        sms.send_sms("13912345678", "验证码 111111", connection=connection)
        sms.send_sms("13912345679", "验证码 222222", connection=connection)
    written = (tmp_path / "sms" / "sms-20260302.log").read_text(encoding="utf-8")
    assert written == "SMS to 13912345678: 验证码 111111\nSMS to 13912345679: 验证码 222222\n"


def test_file_backend_needs_a_folder(settings):
    settings.SMS_FILE_PATH = ""
    with pytest.raises(ImproperlyConfigured):
        sms.get_connection("lms.accounts.sms.filebased.SmsBackend")


def test_a_gateway_implements_send_messages():
    with pytest.raises(NotImplementedError):
        BaseSmsBackend().send_messages([SmsMessage(to="13912345678", body="x")])

    class Gateway(BaseSmsBackend):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.sent = []

        def send_messages(self, messages):
            self.sent.extend(messages)
            return len(messages)

    gateway = Gateway()
    with gateway as connection:
        assert sms.send_sms("13912345678", "hi", connection=connection) == 1
    assert gateway.sent[0].to == "13912345678"

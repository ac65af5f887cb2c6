import uuid

import pytest

from lms.accounts import ratelimits, sms


@pytest.fixture(autouse=True)
def sms_outbox(monkeypatch):
    """The locmem SMS backend's outbox, empty for each test; rate-limit counters of this test only
    (the cache may be a Redis shared by the whole run)."""
    monkeypatch.setattr(sms, "outbox", [])
    monkeypatch.setattr(ratelimits, "NAMESPACE", f"test-rl:{uuid.uuid4().hex}")
    return sms.outbox


@pytest.fixture
def send_code(django_capture_on_commit_callbacks):
    """code_request as a committed request: the SMS task runs (the test's transaction never commits)."""
    from lms.accounts.models import CodePurpose
    from lms.accounts.services import code_request

    def send(phone, purpose=CodePurpose.ACTIVATE, ip="10.0.0.1"):
        with django_capture_on_commit_callbacks(execute=True):
            return code_request(phone=phone, purpose=purpose, client_ip=ip)

    return send


@pytest.fixture
def ask(client, django_capture_on_commit_callbacks):
    """POST the phone page of a flow as a browser would, running the callbacks of its commit."""
    from django.urls import reverse

    def post(phone, flow="activate", ip="10.0.0.1", browser=None):
        with django_capture_on_commit_callbacks(execute=True):
            return (browser or client).post(reverse(f"accounts:{flow}"), {"phone": phone}, REMOTE_ADDR=ip)

    return post

import pytest

from lms.accounts import sms


@pytest.fixture
def sms_outbox(monkeypatch):
    """The locmem SMS backend's outbox, empty for this test."""
    monkeypatch.setattr(sms, "outbox", [])
    return sms.outbox


@pytest.fixture
def clock(frozen_clock):
    return frozen_clock

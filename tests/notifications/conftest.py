import pytest

from lms.accounts import sms
from tests.attendance import conftest as attendance_fixtures
from tests.e2e import conftest as e2e_fixtures
from tests.evaluation.conftest import make_taught

held = attendance_fixtures.held  # a published class of township A on 2026-12-07, member_a enrolled


@pytest.fixture
def taught(county):
    """A lecture on 2026-12-07 attended by six members (see tests/evaluation/conftest.py)."""
    return make_taught(county)


@pytest.fixture
def sms_outbox(monkeypatch):
    """The locmem SMS backend's outbox, empty for this test."""
    monkeypatch.setattr(sms, "outbox", [])
    return sms.outbox


@pytest.fixture
def clock(frozen_clock):
    return frozen_clock


chromium = e2e_fixtures.chromium  # Debian's Chromium (tests/e2e/conftest.py)
phone = e2e_fixtures.phone  # a 390×844 touch screen

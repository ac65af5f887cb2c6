"""The test clock itself: every test starts at the default moment (or `LMS_TEST_NOW`, or its
`moment`), time still passes, and a process a test starts runs on the same clock."""

import os
import subprocess
import sys
from datetime import datetime, timedelta

from django.utils import timezone

from tests import clock


def test_every_test_starts_at_the_default_moment_and_time_still_passes():
    now = timezone.now()
    assert timedelta(0) <= now - clock.default_moment() < timedelta(seconds=30)
    assert timezone.now() > now  # ticking: asyncio, websockets and servers need time to pass


def test_the_moment_fixture_sets_the_clock(moment):
    assert timedelta(0) <= timezone.now() - moment < timedelta(seconds=30)
    assert timezone.localtime().tzname() == "CST"


def test_moments_without_an_offset_are_beijing_time():
    assert clock.parse("2026-12-31T23:55") == datetime(2026, 12, 31, 23, 55, tzinfo=clock.TZ)
    assert clock.parse("2026-12-31T15:55+00:00") == datetime(2026, 12, 31, 23, 55, tzinfo=clock.TZ)
    assert clock.day_bounds(datetime(2026, 12, 31, 23, 55, tzinfo=clock.TZ)) == (
        datetime(2026, 12, 31, tzinfo=clock.TZ),
        datetime(2027, 1, 1, tzinfo=clock.TZ),
    )


def test_a_process_the_test_starts_runs_on_the_tests_clock(frozen_clock):
    frozen_clock.move_to(datetime(2027, 1, 1, 0, 0, 5, tzinfo=clock.TZ))
    script = (
        "from tests.clock import follow_parent_clock; import time; follow_parent_clock(); print(time.time())"
    )
    child = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **clock.shift_env()},
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(clock.__file__)),
    )
    assert abs(float(child.stdout) - timezone.now().timestamp()) < 10

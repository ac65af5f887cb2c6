"""The clock in tests: every test runs with it frozen (ticking) at a known moment, never at the hour the
suite happens to run.

- `default_moment()`: the moment every test starts at, by default a deliberately awkward one (five minutes
  to midnight on New Year's Eve in Asia/Shanghai); `LMS_TEST_NOW=2026-12-07T09:00` (local time, or
  with an offset) runs the suite at another moment.
- `MOMENTS`: the moments the demo and the time-sensitive rules are tested at (the `moment` fixture).
- Processes the tests start (uvicorn) get the test's clock through `LMS_TEST_CLOCK_SHIFT` (`shift_env`
  here, read by `follow_parent_clock` when they start); time-machine reaches only this process. Under
  Debian's `faketime`, set FAKETIME_DONT_RESET=1 so children go on from the parent's faked time.
"""

import os
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
ENV = "LMS_TEST_NOW"
SHIFT_ENV = "LMS_TEST_CLOCK_SHIFT"
DEFAULT_NOW = "2026-12-31T23:55"  # year end, month end, five minutes to midnight

MOMENTS = {
    "0005": datetime(2026, 12, 9, 0, 5, tzinfo=TZ),  # just after midnight (a Wednesday)
    "0900": datetime(2026, 12, 9, 9, 0, tzinfo=TZ),  # the morning's first sessions
    "1000": datetime(2026, 12, 9, 10, 0, tzinfo=TZ),
    "2230": datetime(2026, 12, 9, 22, 30, tzinfo=TZ),
    "2355": datetime(2026, 12, 9, 23, 55, tzinfo=TZ),
    "sunday": datetime(2026, 12, 13, 15, 0, tzinfo=TZ),
    "month-end": datetime(2026, 11, 30, 23, 55, tzinfo=TZ),
    "year-end": datetime(2026, 12, 31, 23, 55, tzinfo=TZ),
    "new-year": datetime(2027, 1, 1, 0, 5, tzinfo=TZ),
}


def parse(value: str) -> datetime:
    """An ISO moment; without an offset it is Beijing time."""
    moment = datetime.fromisoformat(value.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


def default_moment() -> datetime:
    return parse(os.environ.get(ENV) or DEFAULT_NOW)


def day_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The local day holding `moment`: its midnight and the next one."""
    day = moment.astimezone(TZ).date()
    return midnight(day), midnight(day + timedelta(days=1))


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=TZ)


def shift_env() -> dict[str, str]:
    """For a child process: how far this process's (frozen) clock is from the real one, in seconds."""
    import time_machine

    real = time_machine.escape_hatch.time.time() if time_machine.escape_hatch.is_travelling() else time.time()
    return {SHIFT_ENV: repr(time.time() - real)}


def follow_parent_clock() -> None:
    """In a process a test started: run the clock as the test's, if it said how (see `shift_env`)."""
    shift = os.environ.get(SHIFT_ENV)
    if not shift:
        return
    import time_machine

    time_machine.travel(time.time() + float(shift), tick=True).start()

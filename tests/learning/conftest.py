from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lms.attendance import services as attendance
from lms.learning import services
from lms.vod.models import Video, VideoOrigin, VideoStatus
from tests.attendance.conftest import classes, held  # noqa: F401 (fixtures used here and by the tests)

MIDDAY = datetime(2026, 12, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def make_video(school, *, duration=600.0, session=None, title="学习党章", status=VideoStatus.READY):
    return Video.objects.create(
        title=title,
        school=school,
        status=status,
        duration=duration,
        session=session,
        origin=VideoOrigin.RECORDING if session else VideoOrigin.UPLOAD,
        renditions=[{"name": "360p", "height": 360, "bandwidth": 800000}],
        published=True,
    )


@pytest.fixture
def video(county):
    return make_video(county["town_a"])


class Player:
    """Plays a viewing against the service, moving the test's clock like a real player would."""

    def __init__(self, member, video, clock):
        self.member, self.video, self.clock = member, video, clock
        self.viewing, self.token = services.viewing_start(member=member, video=video)

    def beat(self, intervals, position=None, wait=None):
        if wait is None:
            wait = sum(end - start for start, end in intervals) / 1.0
        self.clock.shift(timedelta(seconds=wait))
        return services.viewing_heartbeat(
            user=self.member.user,
            viewing_id=self.token,
            intervals=[list(i) for i in intervals],
            position=position if position is not None else (intervals[-1][1] if intervals else None),
        )

    def play(self, start, end, step=10.0, rate=1.0):
        """Play [start, end) at `rate`, a heartbeat every `step` seconds of wall time."""
        results, at = [], start
        while at < end:
            stop = min(at + step * rate, end)
            results.append(self.beat([(at, stop)], wait=(stop - at) / rate))
            at = stop
        return results


@pytest.fixture
def player(frozen_clock):
    """Make a `Player`; the clock starts at 10:00 on a weekday, so plays stay within one day."""
    frozen_clock.move_to(MIDDAY)

    def make(member, video):
        return Player(member, video, frozen_clock)

    return make


@pytest.fixture
def missed(held):  # noqa: F811 (the fixture imported above)
    """member_a was absent from the lecture, which has a ready 30-minute recording."""
    lecture = held["lecture"]
    attendance.attendance_mark(
        actor=held["org"], session=lecture, member=held["member_a"], status="absent", now=lecture.ends_at
    )
    recording = make_video(held["town_a"], duration=1800.0, session=lecture, title="领导讲座录像")
    return {**held, "recording": recording}

"""Watch-time credit that cannot be skipped: play, seek forward, seek back, speed, two tabs, two
videos, resume on another device, a burst of duplicates, and the rows kept."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from lms.attendance.models import OnlineStudy
from lms.learning import selectors, services
from lms.learning.models import Viewing, WatchProgress
from lms.learning.services import HeartbeatRefused
from tests.learning.conftest import make_video


def study_seconds(member, video):
    return sum(OnlineStudy.objects.filter(member=member, video=video).values_list("seconds", flat=True))


def test_playing_credits_the_seconds_played(county, video, player):
    member = county["member_a"]
    p = player(member, video)
    results = p.play(0, 120)
    assert sum(r.credited_seconds for r in results) == 120
    assert selectors.watched_share(member, video) == pytest.approx(120 / 600)
    study = OnlineStudy.objects.get(member=member, video=video)
    assert (study.seconds, study.minutes, study.year) == (120, 2, 2026)
    assert WatchProgress.objects.get(member=member, video=video).position == 120


def test_seeking_forward_credits_nothing_skipped(county, video, player):
    member = county["member_a"]
    p = player(member, video)
    p.play(0, 30)
    # The member drags to 500 s and plays 10 s: only those 10 s are reported and credited.
    result = p.beat([(500, 510)])
    assert result.credited_seconds == 10
    assert selectors.watched_share(member, video) == pytest.approx(40 / 600)
    # A forged heartbeat claiming the whole video after 10 s of wall time gets 10 × 1.5 + slack.
    result = p.beat([(0, 600)], wait=10)
    assert result.credited_seconds <= 18
    assert result.refused_seconds >= 580


def test_seeking_back_never_credits_twice(county, video, player):
    member = county["member_a"]
    p = player(member, video)
    p.play(0, 60)
    again = p.play(20, 60)
    assert sum(r.credited_seconds for r in again) == 0
    assert study_seconds(member, video) == 60


def test_split_heartbeats_mark_each_second_once(county, video, player):
    member = county["member_a"]
    p = player(member, video)
    p.beat([(0, 14.7)])
    p.beat([(14.7, 29.5)])
    assert WatchProgress.objects.get(member=member, video=video).watched_seconds == 30 - 0  # 0..29


def test_faster_than_one_and_a_half_is_not_believed(county, video, player):
    member = county["member_a"]
    p = player(member, video)
    fast = p.beat([(0, 40)], wait=10)  # 4× speed
    assert fast.credited_seconds <= 10 * 1.5 + services.SLACK_SECONDS
    at_limit = player(member, video)
    at_limit.beat([(100, 115)], wait=10)  # 1.5×
    assert WatchProgress.objects.get(member=member, video=video).watched_seconds <= 18 + 15


def test_two_tabs_only_the_newest_counts(county, video, player):
    member = county["member_a"]
    first = player(member, video)
    first.play(0, 20)
    second = player(member, video)  # the same video opened in another tab (or device)
    with pytest.raises(HeartbeatRefused) as refused:
        first.beat([(20, 30)])
    assert refused.value.reason == "superseded"
    second.beat([(20, 30)])
    assert study_seconds(member, video) == 30
    assert Viewing.objects.filter(member=member).count() == 1


def test_two_videos_at_once_credit_one(county, video, player):
    member = county["member_a"]
    other = make_video(county["town_a"], title="另一个")
    a = player(member, video)
    b = player(member, other)
    with pytest.raises(HeartbeatRefused):
        a.beat([(0, 10)])
    b.beat([(0, 10)])
    assert study_seconds(member, video) == 0 and study_seconds(member, other) == 10


def test_resume_on_another_device(county, video, player, client):
    member = county["member_a"]
    phone = player(member, video)
    phone.play(0, 95)
    # Another device opens the video: the position comes from the server.
    client.force_login(member.user)
    assert selectors.progress_for(member, video).position == 95
    desk = player(member, video)
    desk.play(95, 125)
    assert selectors.watched_share(member, video) == pytest.approx(125 / 600)


def test_completion_follows_the_share(county, video, player):
    member = county["member_a"]
    p = player(member, video)
    p.play(0, 530)  # 88 %
    assert selectors.completed_video_ids(member, [video.pk]) == set()
    p.play(530, 545)  # 90.8 %
    assert selectors.completed_video_ids(member, [video.pk, 999]) == {video.pk}
    assert selectors.completed_video_ids(county["member_b"], [video.pk]) == set()


def test_a_heartbeat_of_someone_else_or_forged_is_refused(county, video, player):
    p = player(county["member_a"], video)
    with pytest.raises(PermissionDenied):
        services.viewing_heartbeat(user=county["member_b"].user, viewing_id=p.token, intervals=[[0, 5]])
    with pytest.raises(HeartbeatRefused) as refused:
        services.viewing_heartbeat(user=county["member_a"].user, viewing_id=p.token + "x", intervals=[[0, 5]])
    assert refused.value.reason == "bad_viewing"
    for bad in ([[5, 1]], [[0, 10_000]], [["a", 3]], "0-5", [[-1, 2]]):
        with pytest.raises(HeartbeatRefused) as refused:
            services.viewing_heartbeat(user=county["member_a"].user, viewing_id=p.token, intervals=bad)
        assert refused.value.reason == "bad_intervals"


def test_rows_are_updated_in_place(county, video, player):
    member = county["member_a"]
    p = player(member, video)
    p.play(0, 300)  # 30 heartbeats
    assert WatchProgress.objects.filter(member=member).count() == 1
    assert OnlineStudy.objects.filter(member=member).count() == 1
    assert Viewing.objects.filter(member=member).count() == 1
    assert len(bytes(WatchProgress.objects.get(member=member).watched)) == 75  # 600 s / 8


def test_two_hour_video_bitmap_is_900_bytes(county, player):
    long = make_video(county["town_a"], duration=7200.0)
    p = player(county["member_a"], long)
    p.beat([(0, 10)])
    assert len(bytes(WatchProgress.objects.get(video=long).watched)) == 900


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_duplicate_heartbeats_credits_once(county, video, player, frozen_clock):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    member = county["member_a"]
    p = player(member, video)
    frozen_clock.shift(timedelta(seconds=10))
    results, errors = [], []

    def send():
        try:
            results.append(
                services.viewing_heartbeat(
                    user=member.user, viewing_id=p.token, intervals=[[0, 10]], position=10
                )
            )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(r.credited_seconds for r in results) == [0] * 7 + [10]
    assert study_seconds(member, video) == 10

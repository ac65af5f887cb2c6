"""What a heartbeat costs the database: 2,000 members watching send one every 10–15 s each, so its
queries are counted. The common heartbeat (seconds added to the member's progress on a video) is the
same few queries whether one member or many watch, whether the member watched a little or most of
the video, and whether they have one year of online study behind them or many."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.attendance.models import OnlineStudy
from lms.learning import services
from lms.learning.models import StudyContent, StudyRule, Viewing, WatchProgress
from lms.people.models import MemberCategory
from lms.people.tokens import api_token_issue
from tests import factories
from tests.learning.conftest import make_video

# The token with its user, member, branch and township (1); the member's viewing with its video,
# progress, online study, the year's rule and whether the video is owed as make-up (1); then on
# PostgreSQL one statement that moves the viewing on and writes progress and online study (1), or
# elsewhere the same three writes in a transaction (3, and two savepoint statements in a test).
API_QUERIES = 3 if connection.vendor == "postgresql" else 7
SERVICE_QUERIES = API_QUERIES - 1  # the service is given the user: no token to read
YEAR = 2026  # of MIDDAY, where the player fixture starts the clock


def count(work):
    with CaptureQueriesContext(connection) as captured:
        result = work()
    return len(captured), result, [q["sql"] for q in captured]


def build(county, video, *, others: int, years: int):
    """member_a about to watch `video`, with `others` members watching it too and `years` past years
    of online study of other videos (each year with its rule); this year's rule has a cap."""
    member = county["member_a"]
    for _ in range(others):
        other = factories.MemberFactory(branch=county["branch_a"])
        viewing, _token = services.viewing_start(member=other, video=video)
        WatchProgress.objects.create(
            member=other, video=video, watched_seconds=30, last_watched_at=viewing.started_at
        )
    for back in range(1, years + 1):
        past = make_video(county["town_a"], title=f"往年视频{back}")
        StudyRule.objects.create(year=YEAR - back, category=MemberCategory.ORDINARY, cap_hours=40)
        OnlineStudy.objects.create(
            member=member, video=past, year=YEAR - back, seconds=3000, minutes=50, updated_at=video.created_at
        )
    StudyRule.objects.get_or_create(
        year=YEAR,
        category=MemberCategory.ORDINARY,
        defaults={"content": StudyContent.ALL, "share": 90, "cap_hours": 20},
    )
    return member


@pytest.mark.parametrize("via", ["api", "service"])
def test_a_heartbeat_costs_the_same_few_queries_at_any_size(county, player, client, via):
    sizes = {}
    for label, others, watched, years in (("small", 0, 10, 0), ("large", 12, 480, 6)):
        video = make_video(county["town_a"], title=f"视频{label}")
        member = build(county, video, others=others, years=years)
        p = player(member, video)
        p.play(0, watched)  # progress and online study exist: the common case
        plaintext, _token = api_token_issue(user=member.user)
        headers = {"Authorization": f"Bearer {plaintext}"}
        p.clock.shift(timedelta(seconds=10))
        at = watched
        body = {"intervals": [[at, at + 10]], "position": at + 10}
        if via == "api":
            client.post(
                f"/api/v1/viewings/{p.token}/heartbeat",
                body,
                content_type="application/json",
                headers=headers,
            )
            p.clock.shift(timedelta(seconds=10))
            body = {"intervals": [[at + 10, at + 20]], "position": at + 20}
            queries, answer, sql = count(
                lambda b=body, t=p.token, h=headers: client.post(
                    f"/api/v1/viewings/{t}/heartbeat", b, content_type="application/json", headers=h
                )
            )
            assert answer.status_code == 200, answer.content
            credited = answer.json()["credited_seconds"]
        else:
            queries, beat, sql = count(
                lambda b=body, t=p.token, u=member.user: services.viewing_heartbeat(
                    user=u, viewing_id=t, intervals=b["intervals"], position=b["position"]
                )
            )
            credited = beat.credited_seconds
        assert credited == 10
        sizes[label] = queries
        progress = WatchProgress.objects.get(member=member, video=video)
        assert progress.watched_seconds == watched + (20 if via == "api" else 10)
        assert (
            OnlineStudy.objects.get(member=member, video=video, year=YEAR).seconds == progress.watched_seconds
        )
        assert Viewing.objects.get(member=member).video_id == video.pk
        Viewing.objects.filter(member=member).delete()
    ceiling = API_QUERIES if via == "api" else SERVICE_QUERIES
    assert sizes["small"] == sizes["large"] <= ceiling, (sizes, sql)

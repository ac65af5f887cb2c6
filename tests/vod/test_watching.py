"""Who may watch which video, and the signed URLs the player fetches (checked by signature alone)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.vod import selectors
from lms.vod.models import VideoStatus
from tests import factories
from tests.vod.conftest import enroll, ready_video, recording_of, session_of_class

pytestmark = pytest.mark.django_db


def test_staff_see_their_schools_videos_and_the_city_sees_all(county):
    city_video = ready_video(county["city"], title="市")
    video_a = ready_video(county["town_a"], title="甲")
    video_b = ready_video(county["town_b"], title="乙")
    assert set(selectors.videos_for_staff(county["staff_a"])) == {video_a}
    assert set(selectors.videos_for_staff(county["staff_b"])) == {video_b}
    assert set(selectors.videos_for_staff(county["city_staff"])) == {city_video, video_a, video_b}
    assert set(selectors.videos_for_staff(county["org"])) == {city_video, video_a, video_b}
    assert set(selectors.videos_for_staff(county["member_a"].user)) == set()
    assert selectors.can_watch(county["staff_a"], video_a)
    assert not selectors.can_watch(county["staff_a"], video_b)


def test_a_member_watches_published_uploads_of_their_township_and_the_city(county):
    member = county["member_a"].user
    city_published = ready_video(county["city"], published=True)
    town_published = ready_video(county["town_a"], published=True)
    other_town = ready_video(county["town_b"], published=True)
    unpublished = ready_video(county["town_a"], published=False)
    waiting = ready_video(county["town_a"], published=True)
    waiting.status = VideoStatus.PROCESSING
    waiting.save()
    assert set(selectors.videos_for_user(member)) == {city_published, town_published}
    assert selectors.can_watch(member, town_published)
    for video in (other_town, unpublished, waiting):
        assert not selectors.can_watch(member, video)
        with pytest.raises(PermissionDenied):
            selectors.playlist_url(video, member)


def test_recordings_go_to_the_class_and_to_migrant_members_of_its_township(county):
    session = session_of_class(county)
    recording = recording_of(session)
    enrolled, migrant = (
        county["member_a"],
        factories.MemberFactory(branch=county["branch_a"], is_migrant=True),
    )
    enroll(enrolled, session.training_class)
    migrant_elsewhere = factories.MemberFactory(branch=county["branch_b"], is_migrant=True)
    not_enrolled = factories.MemberFactory(branch=county["branch_a"])
    assert selectors.can_watch(enrolled.user, recording)
    assert selectors.can_watch(migrant.user, recording)
    assert not selectors.can_watch(not_enrolled.user, recording)
    assert not selectors.can_watch(migrant_elsewhere.user, recording)
    assert not selectors.can_watch(county["member_b"].user, recording)
    assert not selectors.can_watch(county["staff_b"], recording)
    assert selectors.can_watch(county["staff_a"], recording)


def get(client, url):
    return client.get(url)


def test_the_signed_url_serves_the_playlist_segments_and_poster_without_a_query(client, county):
    member = county["member_a"].user
    video = ready_video(county["town_a"], published=True)
    master = selectors.playlist_url(video, member)
    base = master.rsplit("/", 1)[0]
    assert master.endswith(f"/{video.folder}/master.m3u8")
    poster_url = selectors.poster_url(video, member)
    with CaptureQueriesContext(connection) as queries:
        responses = [
            client.get(url) for url in (master, f"{base}/360p/index.m3u8", f"{base}/360p/seg_00000.ts")
        ]
        poster = client.get(poster_url)
    assert len(queries) == 0
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert responses[0]["Content-Type"] == "application/vnd.apple.mpegurl"
    assert b"360p/index.m3u8" in b"".join(responses[0].streaming_content)
    assert responses[2]["Content-Type"] == "video/mp2t"
    assert poster.status_code == 200 and poster["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize("who", ["anonymous", "other_member", "other_staff"])
def test_nobody_else_gets_a_url(client, county, who):
    video = ready_video(county["town_a"], published=True)
    user = {"anonymous": None, "other_member": county["member_b"].user, "other_staff": county["staff_b"]}[who]
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        selectors.playlist_url(video, user or AnonymousUser())


def test_expired_tampered_or_foreign_tokens_and_other_files_are_refused(
    client, county, frozen_clock, settings
):
    video = ready_video(county["town_a"], published=True)
    other = ready_video(county["town_a"], published=True)
    master = selectors.playlist_url(video, county["staff_a"])
    prefix, token, folder, _ = master.rsplit("/", 3)
    until, signature = token.split("-")
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    refused = [
        f"{prefix}/{until}-{flipped}/{folder}/master.m3u8",  # tampered signature
        f"{prefix}/{int(until) + 3600}-{signature}/{folder}/master.m3u8",  # later expiry, same signature
        f"{prefix}/{token}/{other.folder}/master.m3u8",  # another video's folder
        f"{prefix}/{token}/{folder}/source.mp4",  # the original is never served
        f"{prefix}/{token}/{folder}/../{folder}/master.m3u8",
        f"{prefix}/{token}/{folder}/360p/seg_99999.ts",  # no such segment
        f"{prefix}/garbage/{folder}/master.m3u8",
    ]
    (video_root := settings.VOD_ROOT / folder).joinpath("source.mp4").write_bytes(b"secret")
    assert video_root.exists()
    for url in refused:
        assert client.get(url).status_code == 404, url
    assert client.get(master).status_code == 200
    assert client.post(master).status_code == 405
    frozen_clock.shift(timedelta(seconds=settings.VOD_URL_SECONDS + video.duration + 5))
    assert client.get(master).status_code == 404  # expired


def test_behind_nginx_the_answer_is_an_accel_redirect(client, county, settings):
    settings.VOD_ACCEL_REDIRECT = True
    video = ready_video(county["town_a"], published=True)
    master = selectors.playlist_url(video, county["staff_a"])
    response = client.get(master.rsplit("/", 1)[0] + "/360p/seg_00000.ts")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-vod/{video.folder}/hls/360p/seg_00000.ts"
    assert response["Content-Type"] == "video/mp2t"
    assert not response.content

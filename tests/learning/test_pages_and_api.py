"""The watch page, the API (my learning, a video, heartbeats) and 补学 on the member's pages, with
who may see what."""

from datetime import timedelta

import pytest

from lms.learning import services
from lms.learning.models import WatchProgress
from tests.learning.conftest import MIDDAY


@pytest.fixture
def at_midday(frozen_clock):
    frozen_clock.move_to(MIDDAY)
    return frozen_clock


def test_watch_page_gives_the_player_its_viewing_and_resume_position(county, video, client, at_midday):
    member = county["member_a"]
    WatchProgress.objects.create(member=member, video=video, position=123.4, last_watched_at=MIDDAY)
    client.force_login(member.user)
    response = client.get(f"/me/videos/{video.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-position="123.4"' in html
    assert "/api/v1/viewings/" in html and "master.m3u8" in html
    assert "vendor/hls.min.js" in html and "learning/player.js" in html
    assert response["Cache-Control"] == "no-store"


def test_watch_page_refuses_a_member_of_another_township(county, video, client):
    client.force_login(county["member_b"].user)
    assert client.get(f"/me/videos/{video.pk}/").status_code == 403
    client.logout()
    assert client.get(f"/me/videos/{video.pk}/").status_code == 302  # to the login page


def test_api_video_start_and_heartbeats(county, video, client, at_midday):
    member = county["member_a"]
    client.force_login(member.user)
    data = client.get(f"/api/v1/videos/{video.pk}?start=true").json()
    assert data["hls_url"].endswith("master.m3u8") and data["position"] == 0 and data["viewing_id"]
    assert data["max_rate"] == 1.5
    at_midday.shift(timedelta(seconds=10))
    beat = client.post(
        data["heartbeat_url"], {"intervals": [[0, 10]], "position": 10}, content_type="application/json"
    )
    assert beat.status_code == 200, beat.content
    assert beat.json()["credited_seconds"] == 10
    again = client.get(f"/api/v1/videos/{video.pk}").json()
    assert again["position"] == 10 and again["viewing_id"] is None
    # Validation: clear messages, never a 500.
    bad = client.post(data["heartbeat_url"], {"intervals": "soon"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["detail"]
    outside = client.post(data["heartbeat_url"], {"intervals": [[0, 9999]]}, content_type="application/json")
    assert outside.status_code == 400 and outside.json()["reason"] == "bad_intervals"
    forged = client.post(
        "/api/v1/viewings/1-1-abc:xyz/heartbeat", {"intervals": [[0, 1]]}, content_type="application/json"
    )
    assert forged.status_code == 400 and forged.json()["reason"] == "bad_viewing"
    # Opening the video again (another tab) supersedes this viewing.
    client.get(f"/api/v1/videos/{video.pk}?start=true")
    superseded = client.post(
        data["heartbeat_url"], {"intervals": [[10, 20]]}, content_type="application/json"
    )
    assert superseded.status_code == 409 and superseded.json()["reason"] == "superseded"


def test_api_refuses_other_members_viewings_and_videos(county, video, client, at_midday):
    _viewing, token = services.viewing_start(member=county["member_a"], video=video)
    client.force_login(county["member_b"].user)
    assert client.get(f"/api/v1/videos/{video.pk}").status_code == 403
    stolen = client.post(
        f"/api/v1/viewings/{token}/heartbeat", {"intervals": [[0, 1]]}, content_type="application/json"
    )
    assert stolen.status_code == 403
    assert client.get("/api/v1/videos/999999").status_code == 404
    client.logout()
    assert client.get("/api/v1/me/learning").status_code == 401


def test_my_learning_lists_make_up_and_videos_to_continue(missed, video, client, player):
    member = missed["member_a"]
    player(member, video).play(0, 30)
    client.force_login(member.user)
    data = client.get("/api/v1/me/learning").json()
    assert [item["id"] for item in data["to_continue"]] == [video.pk]
    assert data["to_continue"][0]["position"] == 30
    assert [item["id"] for item in data["makeup_owed"]] == [missed["recording"].pk]
    assert data["makeup_owed"][0]["session_id"] == missed["lecture"].pk
    client.force_login(missed["org"])
    assert client.get("/api/v1/me/learning").status_code == 403  # not a member


def test_make_up_shows_on_classes_page_and_home(missed, client):
    client.force_login(missed["member_a"].user)
    for url in ("/me/classes/", "/me/"):
        html = client.get(url).content.decode()
        assert 'data-testid="makeup"' in html, url
        assert f"/me/videos/{missed['recording'].pk}/" in html
    client.force_login(missed["member_b"].user)
    assert 'data-testid="makeup"' not in client.get("/me/classes/").content.decode()

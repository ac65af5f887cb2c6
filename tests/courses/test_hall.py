"""The teaching points' online hall (网上展厅): who sees what on the hall page."""

import pytest

from tests.courses.hall_helpers import hall_fill, site_at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(county):
    site_at(county["city"])


def hall_url(point) -> str:
    return point.url + "hall/"


def test_the_hall_shows_exhibits_video_and_audio_to_a_member(client, county):
    point = hall_fill(county["point_a"])
    client.force_login(county["member_a"].user)
    assert 'data-testid="hall-link"' in client.get(point.url).content.decode()
    body = client.get(hall_url(point)).content.decode()
    assert "红色教育展厅" in body
    assert body.count("<figure>") == 2 and "展品1" in body
    assert 'data-testid="player"' in body and "master.m3u8" in body
    assert 'data-testid="hall-audio"' in body and point.hall_audio.url in body
    assert client.get(point.hall_audio.url).status_code == 200


def test_anonymous_visitors_see_the_exhibits_and_are_asked_to_log_in_for_the_video(client, county):
    point = hall_fill(county["point_a"])
    body = client.get(hall_url(point)).content.decode()
    assert "展品0" in body
    assert "master.m3u8" not in body and "/login/?next=" in body


def test_a_member_of_another_township_may_not_watch_the_video(client, county):
    point = hall_fill(county["point_a"])
    client.force_login(county["member_b"].user)
    body = client.get(hall_url(point)).content.decode()
    assert "展品0" in body and "master.m3u8" not in body


def test_a_private_audio_guide_is_not_offered_to_members(client, county):
    point = hall_fill(county["point_a"], audio_private=True)
    client.force_login(county["member_a"].user)
    body = client.get(hall_url(point)).content.decode()
    assert 'data-testid="hall-audio"' not in body
    assert client.get(point.hall_audio.url).status_code in (302, 403, 404)


def test_a_point_without_a_hall_says_so(client, county):
    point = county["point_b"]
    assert 'data-testid="hall-link"' not in client.get(point.url).content.decode()
    assert client.get(hall_url(point)).status_code == 200

"""Login lands each role in the right place; the home page shows who you are."""

import pytest

from lms.people.models import TeacherCategory
from tests.factories import TeacherFactory, UserFactory


@pytest.mark.django_db
def test_member_lands_on_home_and_sees_branch_and_township(client, county):
    member = county["member_a"]
    member.user.set_password("pw")
    member.user.save()
    response = client.post("/login/", {"username": member.user.username, "password": "pw"})
    assert response.status_code == 302 and response.url == "/me/"
    body = client.get("/me/").content.decode()
    assert "甲村党支部" in body and "甲镇党校" in body
    assert "普通党员" in body
    assert "/admin/" not in body


@pytest.mark.django_db
def test_staff_land_in_the_admin(client, county):
    response = client.post("/login/", {"username": "staff_a", "password": "pw"})
    assert response.status_code == 302 and response.url == "/admin/"


@pytest.mark.django_db
def test_next_is_honoured_and_anonymous_is_sent_to_login(client, county):
    assert client.get("/me/").url.startswith("/login/?next=/me/")
    response = client.post(
        "/login/?next=/search/", {"username": "staff_a", "password": "pw", "next": "/search/"}
    )
    assert response.url == "/search/"


@pytest.mark.django_db
def test_teacher_sees_their_pool_entry(client):
    user = UserFactory(username="t1")
    TeacherFactory(user=user, category=TeacherCategory.LEADING_CADRE, organisation="县委宣传部部长")
    client.force_login(user)
    body = client.get("/me/").content.decode()
    assert "领导干部" in body and "县委宣传部部长" in body


@pytest.mark.django_db
def test_account_without_profile_is_told_whom_to_ask(client):
    client.force_login(UserFactory(username="nobody"))
    body = client.get("/me/").content.decode()
    assert "请联系所在镇街党校" in body


@pytest.mark.django_db
def test_english_after_switching_language(client, county):
    client.force_login(county["member_a"].user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/me/"})
    body = client.get("/me/").content.decode()
    assert "Ordinary member" in body and 'lang="en"' in body


@pytest.mark.django_db
def test_browser_language_does_not_override_chinese(client, county):
    client.force_login(county["member_a"].user)
    body = client.get("/me/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in body and "普通党员" in body

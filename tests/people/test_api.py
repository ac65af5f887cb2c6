"""The JSON API: token login, the profile, and scoping of branches and members."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from wagtail.models import APIToken

from lms.people.models import Member
from tests.factories import UserFactory


def token_for(client, username, password="pw"):
    response = client.post(
        "/api/v1/auth/token", {"username": username, "password": password}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def auth(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.django_db
def test_token_for_good_credentials_and_401_with_message_for_bad(client, county):
    token = token_for(client, county["member_a"].user.username)
    assert token.startswith("wagtail_")
    bad = client.post(
        "/api/v1/auth/token",
        {"username": county["member_a"].user.username, "password": "nope"},
        content_type="application/json",
    )
    assert bad.status_code == 401
    assert bad.json()["detail"]
    assert "token" not in bad.json()


@pytest.mark.django_db
def test_token_request_is_validated(client):
    response = client.post("/api/v1/auth/token", {"username": ""}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"]


@pytest.mark.django_db
def test_me_shows_the_member_profile(client, county):
    member = county["member_a"]
    response = client.get("/api/v1/me", **auth(token_for(client, member.user.username)))
    assert response.status_code == 200
    data = response.json()
    assert data["username"] == member.user.username
    assert data["roles"] == ["member"]
    assert data["member"]["branch"]["name"] == "甲村党支部"
    assert data["member"]["branch"]["township"] == "甲镇党校"
    assert data["member"]["category"] == "ordinary"
    assert data["teacher"] is None


@pytest.mark.django_db
def test_me_refuses_anonymous_bad_revoked_and_expired_tokens(client, county):
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", **auth("wagtail_notatoken")).status_code == 401
    token = token_for(client, county["member_a"].user.username)
    assert client.get("/api/v1/me", **auth(token)).status_code == 200
    stored = APIToken.objects.get(user=county["member_a"].user)
    APIToken.objects.filter(pk=stored.pk).update(created=timezone.now() - timedelta(days=365))
    assert client.get("/api/v1/me", **auth(token)).status_code == 401
    APIToken.objects.filter(pk=stored.pk).update(created=timezone.now())
    stored.revoke()
    assert client.get("/api/v1/me", **auth(token)).status_code == 401


@pytest.mark.django_db
def test_township_staff_see_only_their_members(client, county):
    token = token_for(client, "staff_a")
    listed = client.get("/api/v1/members", **auth(token)).json()["items"]
    assert [m["id"] for m in listed] == [county["member_a"].id]
    assert client.get(f"/api/v1/members/{county['member_b'].id}", **auth(token)).status_code == 404
    branches = client.get("/api/v1/branches", **auth(token)).json()["items"]
    assert [b["name"] for b in branches] == ["甲村党支部"]


@pytest.mark.django_db
def test_township_staff_cannot_change_another_townships_members(client, county):
    token = token_for(client, "staff_a")
    member_b = county["member_b"]
    response = client.patch(
        f"/api/v1/members/{member_b.id}", {"name": "改名"}, content_type="application/json", **auth(token)
    )
    assert response.status_code == 404
    member_b.refresh_from_db()
    assert member_b.name != "改名"
    moved = client.patch(
        f"/api/v1/members/{county['member_a'].id}",
        {"branch_id": county["branch_b"].id},
        content_type="application/json",
        **auth(token),
    )
    assert moved.status_code == 403
    assert moved.json()["detail"]
    created = client.post(
        "/api/v1/members",
        {"name": "新党员", "phone": "13700000001", "branch_id": county["branch_b"].id},
        content_type="application/json",
        **auth(token),
    )
    assert created.status_code == 403
    assert not Member.objects.filter(phone="13700000001").exists()


@pytest.mark.django_db
def test_township_staff_manage_their_own_members(client, county):
    token = token_for(client, "staff_a")
    created = client.post(
        "/api/v1/members",
        {
            "name": "新党员",
            "phone": "137-0000-0002",
            "branch_id": county["branch_a"].id,
            "category": "village_cadre",
        },
        content_type="application/json",
        **auth(token),
    )
    assert created.status_code == 201, created.content
    assert created.json()["phone"] == "13700000002"
    again = client.post(
        "/api/v1/members",
        {"name": "重复", "phone": "13700000002", "branch_id": county["branch_a"].id},
        content_type="application/json",
        **auth(token),
    )
    assert again.status_code == 400
    assert Member.objects.filter(phone="13700000002").count() == 1
    changed = client.patch(
        f"/api/v1/members/{created.json()['id']}",
        {"is_migrant": True},
        content_type="application/json",
        **auth(token),
    )
    assert changed.status_code == 200
    assert changed.json()["is_migrant"] is True


@pytest.mark.django_db
def test_bad_phone_is_a_400_with_the_field(client, county):
    token = token_for(client, "staff_a")
    response = client.post(
        "/api/v1/members",
        {"name": "某某", "phone": "abc12", "branch_id": county["branch_a"].id},
        content_type="application/json",
        **auth(token),
    )
    assert response.status_code == 400
    assert "phone" in response.json()["errors"]


@pytest.mark.django_db
def test_org_dept_and_city_staff_see_every_township(client, county):
    for username in ("org", "city_staff"):
        token = token_for(client, username)
        ids = {m["id"] for m in client.get("/api/v1/members", **auth(token)).json()["items"]}
        assert ids == {county["member_a"].id, county["member_b"].id}


@pytest.mark.django_db
def test_members_without_staff_role_get_403(client, county):
    token = token_for(client, county["member_a"].user.username)
    response = client.get("/api/v1/members", **auth(token))
    assert response.status_code == 403
    assert response.json()["detail"]


@pytest.mark.django_db
def test_browser_session_needs_csrf_for_writes(county):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(county["staff_a"])
    assert browser.get("/api/v1/me").status_code == 200
    response = browser.post(
        "/api/v1/members",
        {"name": "新党员", "phone": "13700000003", "branch_id": county["branch_a"].id},
        content_type="application/json",
    )
    assert response.status_code in (401, 403)
    assert not Member.objects.filter(phone="13700000003").exists()


@pytest.mark.django_db
def test_schema_and_docs_are_served(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/auth/token" in schema.json()["paths"]
    assert client.get("/api/v1/docs").status_code == 200


@pytest.mark.django_db
def test_inactive_user_gets_no_token(client):
    UserFactory(username="gone", is_active=False)
    response = client.post(
        "/api/v1/auth/token", {"username": "gone", "password": "pw"}, content_type="application/json"
    )
    assert response.status_code == 401


@pytest.mark.django_db
def test_docs_page_loads_nothing_from_the_internet(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)

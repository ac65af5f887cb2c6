"""The audit's 500s answer 400 with a message (lms.middleware.HostileInputMiddleware and the API's
own checks): a NUL byte anywhere in a request, and numbers or years past what can be stored."""

import json

import pytest
from django.urls import reverse

from lms.people.tokens import api_token_issue


@pytest.fixture
def staff_api(county):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=county['staff_a'])[0]}"}


@pytest.mark.django_db
def test_nul_in_the_member_search_is_400_json(client, staff_api):
    response = client.get("/api/v1/members", {"q": "王\x00"}, **staff_api)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] and body["errors"] == {"q": [body["detail"]]} and body["reason"] == "nul_character"


@pytest.mark.django_db
def test_nul_in_the_site_search_and_the_calendar_link_is_400(client):
    search = client.get(reverse("search"), {"query": "党\x00课"})
    assert search.status_code == 400 and "NUL" in search.content.decode()
    assert client.get("/calendar/abc%00def.ics").status_code == 400


@pytest.mark.django_db
def test_nul_in_a_form_a_json_body_or_a_cookie_is_400(client, county, staff_api):
    assert client.post(reverse("login"), {"username": "a\x00", "password": "x"}).status_code == 400
    body = json.dumps({"name": "甲\x00", "phone": "13800000000", "branch_id": county["branch_a"].pk})
    posted = client.post("/api/v1/members", body, content_type="application/json", **staff_api)
    assert posted.status_code == 400 and posted.json()["errors"] == {"body": [posted.json()["detail"]]}
    client.cookies["sessionid"] = "abc\x00"
    assert client.get(reverse("login")).status_code == 400


@pytest.mark.django_db
def test_an_escaped_backslash_before_u0000_is_not_a_nul(client, county, staff_api):
    """`"\\\\u0000"` in JSON is a backslash followed by the text u0000: an ordinary string."""
    body = json.dumps({"name": "a\\u0000", "phone": "13800000001", "branch_id": county["branch_a"].pk})
    assert "\\\\u0000" in body
    response = client.post("/api/v1/members", body, content_type="application/json", **staff_api)
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_numbers_past_any_column_are_400_or_404_not_500(client, staff_api):
    huge = str(2**70)
    member = client.get(f"/api/v1/members/{huge}", **staff_api)
    assert member.status_code in {400, 404} and member.json()["detail"]
    assert client.get("/api/v1/members", {"page": huge}, **staff_api).status_code == 422
    listed = client.get("/api/v1/members", {"branch_id": huge}, **staff_api)
    assert listed.status_code in {200, 400}

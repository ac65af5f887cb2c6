"""API bearer tokens: at most API_TOKENS_PER_USER per user, the caller revokes their own with
DELETE /api/v1/auth/token, and a new password (by any path) revokes them all."""

import pytest
from django.conf import settings
from django.test import Client, override_settings
from wagtail.models import APIToken

from lms.accounts.models import CodePurpose
from lms.accounts.services import code_request
from tests.accounts.helpers import NEW_PASSWORD, code_in
from tests.people.test_api import auth, token_for


def works(token: str) -> bool:
    return Client().get("/api/v1/me", **auth(token)).status_code == 200


@pytest.mark.django_db
def test_a_new_token_beyond_the_cap_revokes_the_oldest(client, county, frozen_clock):
    username = county["member_a"].user.username
    tokens = [token_for(client, username) for _n in range(settings.API_TOKENS_PER_USER + 2)]
    assert [works(token) for token in tokens] == [False, False] + [True] * settings.API_TOKENS_PER_USER
    assert APIToken.objects.filter(user=county["member_a"].user, revoked_at__isnull=True).count() == 5
    # Another user's tokens are not counted.
    assert works(token_for(client, county["member_b"].user.username))
    assert works(tokens[-1])


@pytest.mark.django_db
@override_settings(API_TOKENS_PER_USER=1)
def test_a_cap_of_one_keeps_only_the_newest(client, county):
    first = token_for(client, county["member_a"].user.username)
    second = token_for(client, county["member_a"].user.username)
    assert not works(first) and works(second)


@pytest.mark.django_db
def test_delete_revokes_the_callers_token_only(client, county):
    username = county["member_a"].user.username
    phone, tablet = token_for(client, username), token_for(client, username)
    response = Client().delete("/api/v1/auth/token", **auth(phone))
    assert response.status_code == 204
    assert not works(phone) and works(tablet)
    assert Client().delete("/api/v1/auth/token", **auth(phone)).status_code == 401


@pytest.mark.django_db
def test_delete_with_a_session_and_no_token_is_400_with_a_message(county):
    browser = Client()
    browser.force_login(county["member_a"].user)
    response = browser.delete("/api/v1/auth/token")
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.django_db
def test_a_password_set_by_sms_revokes_every_token(client, county, django_capture_on_commit_callbacks):
    from lms.accounts import sms

    member = county["member_a"]
    tokens = [token_for(client, member.user.username) for _n in range(3)]
    other = token_for(client, county["member_b"].user.username)
    with django_capture_on_commit_callbacks(execute=True):
        code_request(phone=member.phone, purpose=CodePurpose.RESET, client_ip="10.0.0.1")
    response = Client().post(
        "/accounts/reset/code/",
        {
            "phone": member.phone,
            "code": code_in(sms.outbox[-1]),
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert not any(works(token) for token in tokens)
    assert works(other)
    assert works(token_for(client, member.user.username, NEW_PASSWORD))


@pytest.mark.django_db
def test_a_password_changed_on_the_admin_account_page_revokes_every_token(client, county):
    staff = county["staff_a"]
    token = token_for(client, staff.username)
    browser = Client()
    browser.force_login(staff)
    response = browser.post(
        "/admin/account/",
        {
            "password-old_password": "pw",
            "password-new_password1": NEW_PASSWORD,
            "password-new_password2": NEW_PASSWORD,
            "name_email-first_name": staff.first_name,
            "name_email-last_name": "张",
            "name_email-email": "staff@example.org",
            "locale-preferred_language": "zh-hans",
            "locale-current_time_zone": "",
            "theme-theme": "system",
            "theme-density": "default",
            "theme-contrast": "system",
            "theme-keyboard_shortcuts": "on",
        },
    )
    assert response.status_code == 302, response.context and [
        (panel.name, panel.get_form().errors)
        for tab in response.context["panels_by_tab"].values()
        for panel in tab
    ]
    staff.refresh_from_db()
    assert staff.check_password(NEW_PASSWORD)
    assert not works(token)


@pytest.mark.django_db
def test_a_password_staff_set_revokes_every_token_but_a_hash_upgrade_does_not(client, county):
    """Staff setting a password goes through set_password and save, whatever page it is on; a login
    that upgrades the stored hash (a new hasher) is not a new password."""
    user = county["member_b"].user
    token = token_for(client, user.username)
    user.set_password("pw")  # the same password, rehashed, as a login would do
    user._password = None
    user.save(update_fields=["password"])
    assert works(token)
    user.set_password(NEW_PASSWORD)
    user.save(update_fields=["password"])
    assert not works(token)

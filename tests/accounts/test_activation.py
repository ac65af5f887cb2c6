"""Activation and password reset by a code sent by SMS: the pages and the service behind them."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from lms.accounts.models import CodePurpose, OneTimeCode
from lms.accounts.services import RateLimited, code_redeem
from tests.accounts.helpers import MORNING, NEW_PASSWORD, code_in, new_member

pytestmark = pytest.mark.django_db
User = get_user_model()


def enter(client, phone, code, password=NEW_PASSWORD, again=None, flow="activate", ip="10.0.0.1"):
    return client.post(
        reverse(f"accounts:{flow}_code"),
        {"phone": phone, "code": code, "password1": password, "password2": again or password},
        REMOTE_ADDR=ip,
    )


@contextmanager
def refused_code():
    """The answer to a wrong, used, replaced, expired or locked code (and to an unknown number)."""
    with pytest.raises(ValidationError) as error:
        yield
    assert list(error.value.message_dict) == ["code"]


def redeem(phone, code, password=NEW_PASSWORD, ip="10.0.0.1"):
    return code_redeem(phone=phone, code=code, password=password, client_ip=ip)


def test_a_new_member_activates_with_a_code_by_sms_and_lands_on_their_home(client, county, sms_outbox, ask):
    member = new_member(county["branch_a"])
    assert not member.user.has_usable_password()

    response = ask("139 1234 0001")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:activate_code") + "?sent=1"
    assert [message.to for message in sms_outbox] == ["13912340001"]
    code = code_in(sms_outbox[0])

    page = client.get(response["Location"])
    assert "13912340001" in page.content.decode()  # the form remembers the number
    assert 'data-testid="code-sent"' in page.content.decode()

    response = enter(client, "13912340001", code)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(member.user_id)
    member.user.refresh_from_db()
    assert member.user.check_password(NEW_PASSWORD)
    assert client.get(reverse("home")).status_code == 200


def test_forgot_password_uses_the_same_flow(client, county, sms_outbox, ask):
    member = county["member_a"]  # has a password ("pw")
    ask(member.phone, flow="reset")
    assert OneTimeCode.objects.get(user=member.user).purpose == CodePurpose.RESET
    response = enter(client, member.phone, code_in(sms_outbox[0]), flow="reset")
    assert response["Location"] == reverse("home")
    member.user.refresh_from_db()
    assert member.user.check_password(NEW_PASSWORD)
    assert not member.user.check_password("pw")


def test_an_unknown_number_gets_the_same_answer_and_no_sms(client, county, sms_outbox, ask):
    new_member(county["branch_a"])
    known = ask("13912340001")
    unknown = ask("13912349999", browser=Client())  # another browser
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert len(sms_outbox) == 1
    assert Client().get(unknown["Location"]).status_code == 200
    assert not OneTimeCode.objects.filter(phone="13912349999").exists()
    # Entering any code for it is refused like a wrong code.
    response = enter(client, "13912349999", "123456")
    assert "code" in response.context["form"].errors


def test_an_inactive_login_gets_no_code(county, sms_outbox, ask):
    member = new_member(county["branch_a"])
    User.objects.filter(pk=member.user_id).update(is_active=False)
    assert ask(member.phone).status_code == 302
    assert sms_outbox == []


def test_a_number_that_is_no_mobile_number_is_explained_in_chinese(county, sms_outbox, ask):
    response = ask("0571-8888888")
    assert response.status_code == 200
    errors = response.context["form"].errors["phone"]
    assert "11 位" in errors[0]
    assert sms_outbox == []


def test_only_a_hash_of_the_code_is_stored(county, sms_outbox, send_code):
    member = new_member(county["branch_a"])
    send_code(member.phone)
    code = code_in(sms_outbox[0])
    stored = OneTimeCode.objects.get(user=member.user)
    assert code not in stored.code_hash
    assert len(stored.code_hash) == 64


def test_the_code_expires_after_the_configured_minutes(county, sms_outbox, settings, send_code):
    settings.ACCOUNTS_CODE_MINUTES = 10
    member = new_member(county["branch_a"])
    with time_machine.travel(MORNING, tick=False):
        send_code(member.phone)
    code = code_in(sms_outbox[0])
    assert "10" in sms_outbox[0].body
    with time_machine.travel(MORNING + timedelta(minutes=10), tick=False), refused_code():
        redeem(member.phone, code)
    with time_machine.travel(MORNING + timedelta(minutes=9, seconds=59), tick=False):
        assert redeem(member.phone, code) == member.user


def test_a_code_works_once(county, sms_outbox, send_code):
    member = new_member(county["branch_a"])
    with time_machine.travel(MORNING, tick=False):
        send_code(member.phone)
        code = code_in(sms_outbox[0])
        redeem(member.phone, code)
        with pytest.raises(ValidationError) as error:
            redeem(member.phone, code, password="Another-pass-99")
    assert "code" in error.value.message_dict
    member.user.refresh_from_db()
    assert member.user.check_password(NEW_PASSWORD)


def test_a_new_code_replaces_the_open_one(county, sms_outbox, send_code):
    member = new_member(county["branch_a"])
    with time_machine.travel(MORNING, tick=False):
        send_code(member.phone)
        send_code(member.phone)
        first, second = (code_in(message) for message in sms_outbox)
        assert OneTimeCode.objects.open(MORNING).filter(user=member.user).count() == 1
        if first != second:
            with refused_code():
                redeem(member.phone, first)
        assert redeem(member.phone, second) == member.user


def test_a_code_locks_after_five_wrong_tries(county, sms_outbox, settings, send_code):
    settings.ACCOUNTS_CODE_MAX_ATTEMPTS = 5
    member = new_member(county["branch_a"])
    with time_machine.travel(MORNING, tick=False):
        send_code(member.phone)
        code = code_in(sms_outbox[0])
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _try in range(5):
            with refused_code():
                redeem(member.phone, wrong)
        assert OneTimeCode.objects.get(user=member.user).attempts == 5
        with refused_code():
            redeem(member.phone, code)
    member.user.refresh_from_db()
    assert not member.user.has_usable_password()


def test_four_wrong_tries_still_leave_the_code_usable(county, sms_outbox, send_code):
    member = new_member(county["branch_a"])
    with time_machine.travel(MORNING, tick=False):
        send_code(member.phone)
        code = code_in(sms_outbox[0])
        for _try in range(4):
            with refused_code():
                redeem(member.phone, f"{(int(code) + 7) % 1_000_000:06d}")
        assert redeem(member.phone, code) == member.user


def test_a_refused_password_does_not_use_up_the_code(client, county, sms_outbox, ask):
    member = new_member(county["branch_a"])
    ask(member.phone)
    code = code_in(sms_outbox[0])
    response = enter(client, member.phone, code, password="123")
    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    response = enter(client, member.phone, code, password=NEW_PASSWORD, again="Different-2026")
    assert "password2" in response.context["form"].errors
    assert enter(client, member.phone, code)["Location"] == reverse("home")


def test_requests_per_number_are_limited_per_hour(county, sms_outbox, settings, ask):
    settings.ACCOUNTS_CODES_PER_PHONE_HOUR = 3
    member = new_member(county["branch_a"])
    with time_machine.travel(MORNING, tick=False):
        for n in range(3):
            assert ask(member.phone, ip=f"10.0.0.{n}").status_code == 302
        refused = ask(member.phone, ip="10.0.0.9")
        assert refused.status_code == 200
        assert "请求过多" in refused.content.decode()
    assert len(sms_outbox) == 3
    with time_machine.travel(MORNING + timedelta(hours=1), tick=False):
        assert ask(member.phone).status_code == 302
    assert len(sms_outbox) == 4


def test_requests_per_address_are_limited_per_hour_also_for_unknown_numbers(county, settings, ask):
    settings.ACCOUNTS_CODES_PER_IP_HOUR = 4
    with time_machine.travel(MORNING, tick=False):
        for n in range(4):
            assert ask(f"1391234{n:04d}", ip="10.0.0.5").status_code == 302
        assert ask("13912345555", ip="10.0.0.5").status_code == 200
        assert ask("13912345555", ip="10.0.0.6").status_code == 302


def test_code_entries_per_address_are_limited_per_hour(county, sms_outbox, settings, send_code):
    settings.ACCOUNTS_TRIES_PER_IP_HOUR = 3
    member = new_member(county["branch_a"])
    with time_machine.travel(MORNING, tick=False):
        send_code(member.phone)
        code = code_in(sms_outbox[0])
        for _try in range(3):
            with refused_code():
                redeem(member.phone, "000000" if code != "000000" else "111111", ip="10.0.0.7")
        with pytest.raises(RateLimited):
            redeem(member.phone, code, ip="10.0.0.7")
        assert redeem(member.phone, code, ip="10.0.0.8") == member.user


def test_the_login_page_links_both_flows(client, db):
    body = client.get(reverse("login")).content.decode()
    assert reverse("accounts:activate") in body
    assert reverse("accounts:reset") in body

"""Activation slips: township staff print one-time codes for a branch's members (人员 → 激活单)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.accounts.models import CodePurpose, OneTimeCode
from lms.accounts.services import SLIPS_ISSUED, code_redeem
from lms.people.models import PeopleLogEntry
from tests import factories
from tests.accounts.helpers import MORNING, NEW_PASSWORD, new_member

pytestmark = pytest.mark.django_db


def print_slips(client, branch, only_not_activated=True):
    data = {"only_not_activated": "1"} if only_not_activated else {}
    return client.post(reverse("accounts_slips:print", args=[branch.pk]), data)


def slips_of(response) -> dict[str, str]:
    """{phone: code} of the printed slips."""
    body = response.content.decode()
    return dict(
        re.findall(
            r'data-testid="slip-phone">(\d+)</dd>.*?data-testid="slip-code">(\d{6})</dd>', body, flags=re.S
        )
    )


def redeem(phone, code):
    return code_redeem(phone=phone, code=code, password=NEW_PASSWORD, client_ip="10.0.0.1")


def test_staff_see_the_branches_of_their_township_with_who_has_not_activated(client, county):
    new_member(county["branch_a"])
    client.force_login(county["staff_a"])
    response = client.get(reverse("accounts_slips:index"))
    assert response.status_code == 200
    rows = {branch.pk: branch for branch in response.context["branches"]}
    assert list(rows) == [county["branch_a"].pk]
    branch = rows[county["branch_a"].pk]
    assert (branch.member_count, branch.not_activated_count) == (2, 1)


def test_the_city_school_picks_a_township_first(client, county):
    client.force_login(county["city_staff"])
    url = reverse("accounts_slips:index")
    response = client.get(url)
    assert list(response.context["branches"]) == []
    assert 'data-testid="pick-township"' in response.content.decode()
    response = client.get(url, {"township": county["town_b"].pk})
    assert [branch.pk for branch in response.context["branches"]] == [county["branch_b"].pk]


def test_the_branch_list_costs_the_same_queries_for_more_branches(client, county, django_assert_num_queries):
    client.force_login(county["staff_a"])
    url = reverse("accounts_slips:index")
    client.get(url)  # warm the session and the menus
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(5):
        branch = factories.BranchFactory(township=county["town_a"], name=f"新增第{n}党支部")
        new_member(branch, phone=f"1371234{n:04d}")
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert len(response.context["branches"]) == 6


def test_the_slips_are_in_the_people_menu_for_staff(client, county):
    client.force_login(county["staff_a"])
    body = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("accounts_slips:index") in body


def test_printed_codes_activate_the_members_and_the_printing_is_logged(client, county):
    fresh = new_member(county["branch_a"])
    client.force_login(county["staff_a"])
    with time_machine.travel(MORNING, tick=False):
        response = print_slips(client, county["branch_a"])
    assert response.status_code == 200
    body = response.content.decode()
    assert "@page { size: A4" in body
    assert "<svg" in body  # the QR code of the activation page
    assert reverse("accounts:activate_code") in body
    assert "2026年3月16日" in body  # valid 14 days
    slips = slips_of(response)
    assert list(slips) == [fresh.phone]  # member_a has a password already
    code = OneTimeCode.objects.get(user=fresh.user)
    assert (code.purpose, code.issued_by, code.expires_at) == (
        CodePurpose.SLIP,
        county["staff_a"],
        MORNING + timedelta(days=14),
    )
    entry = PeopleLogEntry.objects.get(action=SLIPS_ISSUED)
    assert (entry.user, entry.object_id, entry.data["count"]) == (
        county["staff_a"],
        str(county["branch_a"].pk),
        1,
    )
    with time_machine.travel(MORNING + timedelta(days=13), tick=False):
        assert redeem(fresh.phone, slips[fresh.phone]) == fresh.user


def test_slip_codes_expire_after_the_configured_days(client, county):
    fresh = new_member(county["branch_a"])
    client.force_login(county["staff_a"])
    with time_machine.travel(MORNING, tick=False):
        slips = slips_of(print_slips(client, county["branch_a"]))
    with time_machine.travel(MORNING + timedelta(days=14), tick=False), pytest.raises(ValidationError):
        redeem(fresh.phone, slips[fresh.phone])


def test_printing_all_members_includes_those_with_a_password(client, county):
    new_member(county["branch_a"])
    client.force_login(county["staff_a"])
    slips = slips_of(print_slips(client, county["branch_a"], only_not_activated=False))
    assert set(slips) == {"13912340001", county["member_a"].phone}


def test_reprinting_replaces_the_earlier_slips(client, county):
    fresh = new_member(county["branch_a"])
    client.force_login(county["staff_a"])
    with time_machine.travel(MORNING, tick=False):
        first = slips_of(print_slips(client, county["branch_a"]))[fresh.phone]
        second = slips_of(print_slips(client, county["branch_a"]))[fresh.phone]
        assert OneTimeCode.objects.open(MORNING).filter(user=fresh.user).count() == 1
        if first != second:
            with pytest.raises(ValidationError):
                redeem(fresh.phone, first)
        assert redeem(fresh.phone, second) == fresh.user


def test_an_sms_code_and_a_slip_are_both_done_with_once_the_password_is_set(client, county, send_code):
    fresh = new_member(county["branch_a"])
    client.force_login(county["staff_a"])
    with time_machine.travel(MORNING, tick=False):
        slip = slips_of(print_slips(client, county["branch_a"]))[fresh.phone]
        send_code(fresh.phone)
        redeem(fresh.phone, slip)
        assert not OneTimeCode.objects.open(MORNING).filter(user=fresh.user).exists()


def test_another_townships_branch_is_a_404_and_issues_nothing(client, county):
    new_member(county["branch_b"], phone="13912340002")
    client.force_login(county["staff_a"])
    assert print_slips(client, county["branch_b"]).status_code == 404
    assert not OneTimeCode.objects.exists()


def test_the_city_school_prints_for_every_township(client, county):
    new_member(county["branch_b"], phone="13912340002")
    client.force_login(county["city_staff"])
    assert list(slips_of(print_slips(client, county["branch_b"]))) == ["13912340002"]


def test_members_may_not_print(client, county):
    client.force_login(county["member_a"].user)
    response = client.get(reverse("accounts_slips:index"))
    assert response.status_code in (302, 403)
    assert print_slips(client, county["branch_a"]).status_code in (302, 403)
    assert not OneTimeCode.objects.exists()


def test_printing_is_a_post(client, county):
    client.force_login(county["staff_a"])
    assert client.get(reverse("accounts_slips:print", args=[county["branch_a"].pk])).status_code == 405


def test_eight_slips_a_page_and_codes_for_each(client, county, django_assert_max_num_queries):
    branch = county["branch_a"]
    for n in range(23):
        user = factories.UserFactory(username=f"1381234{n:04d}", password=None)
        user.set_unusable_password()
        user.save()
        factories.MemberFactory(user=user, branch=branch, phone=f"1381234{n:04d}")
    client.force_login(county["staff_a"])
    with django_assert_max_num_queries(40):
        response = print_slips(client, branch)
    body = response.content.decode()
    sheets = body.split('data-testid="sheet"')[1:]
    assert [sheet.count('data-testid="slip"') for sheet in sheets] == [8, 8, 7]
    slips = slips_of(response)
    assert len(slips) == 23
    assert OneTimeCode.objects.filter(purpose=CodePurpose.SLIP).count() == 23
    assert redeem("13812340017", slips["13812340017"]).member.phone == "13812340017"

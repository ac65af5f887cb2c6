"""Login throttling (lms/accounts/throttle.py, django-axes) on the three entries that take a password:
the member login, Wagtail's admin login and the API's token route. 100 wrong passwords, then the
right one, which is refused until the cool-off ends or staff unlock the login."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from lms.accounts.models import CodePurpose
from lms.accounts.services import LOGIN_UNLOCKED, code_request
from lms.people.models import PeopleLogEntry
from tests.accounts.helpers import NEW_PASSWORD, code_in

ATTACKER = "203.0.113.66"
MEMBER_HOME = "198.51.100.7"
ELSEWHERE = "198.51.100.99"
ENTRIES = ["member", "admin", "api"]
LOCKED_WORDS = "登录已锁定"


def attempt(entry: str, username: str, password: str, ip: str, client: Client | None = None):
    client = client or Client()
    if entry == "api":
        return client.post(
            "/api/v1/auth/token",
            {"username": username, "password": password},
            content_type="application/json",
            REMOTE_ADDR=ip,
        )
    url = reverse("login") if entry == "member" else reverse("wagtailadmin_login")
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def logged_in(entry: str, response, client: Client) -> bool:
    if entry == "api":
        return response.status_code == 200 and bool(response.json().get("token"))
    return response.status_code == 302 and client.session.get("_auth_user_id") is not None


def refused_as_locked(entry: str, response) -> bool:
    if response.status_code != 429 or not response.get("Retry-After"):
        return False
    if entry == "api":
        return "15" in response.json()["detail"] and "token" not in response.json()
    return LOCKED_WORDS in response.content.decode()


def account_for(entry: str, county):
    """Wagtail's admin takes staff; the member login and the API a member's phone number."""
    return county["staff_a"] if entry == "admin" else county["member_a"].user


def login_right(entry: str, user, ip: str) -> tuple[bool, object]:
    client = Client()
    response = attempt(entry, user.username, "pw", ip, client)
    return logged_in(entry, response, client), response


@pytest.mark.django_db
@pytest.mark.parametrize("entry", ENTRIES)
def test_100_wrong_passwords_lock_the_account_and_the_address_until_the_cool_off(entry, county, frozen_clock):
    user = account_for(entry, county)
    answers = [attempt(entry, user.username, f"guess-{n}", ATTACKER) for n in range(100)]

    limit = settings.AXES_FAILURE_LIMIT
    wrong = 401 if entry == "api" else 200
    assert [r.status_code for r in answers[: limit - 1]] == [wrong] * (limit - 1)
    assert all(refused_as_locked(entry, r) for r in answers[limit - 1 :])

    # The right password, from the attacker's address and from the member's own: refused.
    for ip in (ATTACKER, MEMBER_HOME):
        ok, response = login_right(entry, user, ip)
        assert not ok and refused_as_locked(entry, response)

    # Another account: refused from the attacker's address (over its own limit), fine from elsewhere.
    other = county["staff_b"] if entry == "admin" else county["member_b"].user
    assert refused_as_locked(entry, login_right(entry, other, ATTACKER)[1])
    assert login_right(entry, other, ELSEWHERE)[0]

    frozen_clock.shift(timedelta(minutes=settings.LOGIN_LOCK_MINUTES, seconds=5))
    assert login_right(entry, user, MEMBER_HOME)[0]
    assert login_right(entry, other, ATTACKER)[0]


@pytest.mark.django_db
@pytest.mark.parametrize("entry", ENTRIES)
def test_a_failure_while_locked_starts_the_wait_again(entry, county, frozen_clock):
    user = account_for(entry, county)
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(entry, user.username, f"guess-{n}", ATTACKER)
    frozen_clock.shift(timedelta(minutes=settings.LOGIN_LOCK_MINUTES - 1))
    assert refused_as_locked(entry, attempt(entry, user.username, "again", ATTACKER))
    frozen_clock.shift(timedelta(minutes=settings.LOGIN_LOCK_MINUTES - 1))
    assert not login_right(entry, user, MEMBER_HOME)[0]
    frozen_clock.shift(timedelta(minutes=2))
    assert login_right(entry, user, MEMBER_HOME)[0]


@pytest.mark.django_db
def test_one_attacker_trying_many_accounts_locks_only_their_address(county):
    """49 members' numbers, one wrong password each, from one address: under the address's limit
    nothing locks; the 50th failure locks the address, and none of the accounts elsewhere."""
    phones = [f"1380000{n:04d}" for n in range(settings.LOGIN_FAILURES_PER_ADDRESS - 1)]
    for phone in phones:
        assert attempt("api", phone, "123456", ATTACKER).status_code == 401
    member = county["member_a"].user
    assert attempt("api", member.username, "123456", ATTACKER).status_code == 429
    assert refused_as_locked("api", login_right("api", county["member_b"].user, ATTACKER)[1])
    assert login_right("api", member, MEMBER_HOME)[0]
    assert login_right("member", county["member_b"].user, ELSEWHERE)[0]


@pytest.mark.django_db
def test_guesses_spread_over_many_addresses_still_lock_the_account(county):
    member = county["member_a"].user
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt("member", member.username, f"guess-{n}", f"192.0.2.{n + 1}")
    assert not login_right("member", member, MEMBER_HOME)[0]
    assert not login_right("api", member, ELSEWHERE)[0]


@pytest.mark.django_db
def test_a_right_password_forgets_the_accounts_failures_but_not_the_addresss(county):
    member = county["member_a"].user
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt("member", member.username, f"typo-{n}", ATTACKER)
    assert login_right("member", member, ATTACKER)[0]
    assert not AccessAttempt.objects.filter(username=member.username).exists()
    # The address keeps its count: logging in to an account of one's own clears nothing else.
    for n in range(settings.LOGIN_FAILURES_PER_ADDRESS - 1):
        attempt("api", f"1370000{n:04d}", "x", ATTACKER)
    assert refused_as_locked("api", attempt("api", "13700009999", "x", ATTACKER))


def lock(username: str, ip: str = ATTACKER) -> None:
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt("member", username, f"guess-{n}", ip)


@pytest.mark.django_db
def test_township_staff_see_and_unlock_their_members_only(county):
    member_a, member_b = county["member_a"], county["member_b"]
    lock(member_a.user.username)
    lock(member_b.user.username)
    page = reverse("accounts_locked:index")
    unlock = reverse("accounts_locked:unlock")

    staff_b = Client()
    staff_b.force_login(county["staff_b"])
    listed = staff_b.get(page).content.decode()
    assert member_b.user.username in listed and member_a.user.username not in listed
    assert staff_b.post(unlock, {"username": member_a.user.username}).url == reverse("wagtailadmin_home")
    assert not login_right("member", member_a.user, MEMBER_HOME)[0]

    staff_a = Client()
    staff_a.force_login(county["staff_a"])
    assert member_a.user.username in staff_a.get(page).content.decode()
    assert staff_a.post(unlock, {"username": member_a.user.username}).status_code == 302
    assert login_right("member", member_a.user, MEMBER_HOME)[0]
    assert not login_right("member", member_b.user, MEMBER_HOME)[0]
    assert PeopleLogEntry.objects.filter(action=LOGIN_UNLOCKED, object_id=str(member_a.pk)).count() == 1

    member = Client()
    member.force_login(member_a.user)
    assert member.get(page).status_code != 200
    member.post(unlock, {"username": member_b.user.username})
    assert not login_right("member", member_b.user, MEMBER_HOME)[0]


@pytest.mark.django_db
def test_the_organization_department_unlocks_any_login_and_an_address(county):
    staff = county["staff_a"]
    lock(staff.username)
    for n in range(settings.LOGIN_FAILURES_PER_ADDRESS):
        attempt("api", f"1360000{n:04d}", "x", ELSEWHERE)
    org = Client()
    org.force_login(county["org"])
    listed = org.get(reverse("accounts_locked:index")).content.decode()
    assert staff.username in listed and ELSEWHERE in listed

    org.post(reverse("accounts_locked:unlock"), {"username": staff.username})
    assert login_right("admin", staff, MEMBER_HOME)[0]
    assert not login_right("api", county["member_b"].user, ELSEWHERE)[0]
    org.post(reverse("accounts_locked:unlock"), {"ip_address": ELSEWHERE})
    assert login_right("api", county["member_b"].user, ELSEWHERE)[0]

    township = Client()
    township.force_login(county["staff_b"])
    for n in range(settings.LOGIN_FAILURES_PER_ADDRESS):
        attempt("api", f"1350000{n:04d}", "x", ATTACKER)
    township.post(reverse("accounts_locked:unlock"), {"ip_address": ATTACKER})
    assert not login_right("api", county["member_b"].user, ATTACKER)[0]


@pytest.mark.django_db
def test_setting_a_new_password_by_sms_unlocks_the_login(
    county, django_capture_on_commit_callbacks, sms_outbox
):
    member = county["member_a"]
    lock(member.user.username)
    with django_capture_on_commit_callbacks(execute=True):
        code_request(phone=member.phone, purpose=CodePurpose.RESET, client_ip=MEMBER_HOME)
    browser = Client()
    response = browser.post(
        reverse("accounts:reset_code"),
        {
            "phone": member.phone,
            "code": code_in(sms_outbox[-1]),
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
        REMOTE_ADDR=MEMBER_HOME,
    )
    assert response.status_code == 302
    client = Client()
    assert logged_in("api", attempt("api", member.user.username, NEW_PASSWORD, ATTACKER, client), client)


@pytest.mark.django_db
def test_the_locked_page_speaks_english_too(county):
    lock(county["member_a"].user.username)
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = attempt("member", county["member_a"].user.username, "pw", MEMBER_HOME, client)
    assert response.status_code == 429
    assert "Too many wrong passwords" in response.content.decode()


@pytest.mark.django_db
def test_unlocking_something_that_is_no_address_says_so(county):
    org = Client()
    org.force_login(county["org"])
    response = org.post(reverse("accounts_locked:unlock"), {"ip_address": "../../etc"}, follow=True)
    assert response.status_code == 200
    assert "IP" in response.content.decode()

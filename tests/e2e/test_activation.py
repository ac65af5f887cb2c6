"""A member created without a password (by staff, the import or the API) activates their account on
a phone with a code sent by SMS, and lands on their home page."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from lms.accounts import ratelimits, sms
from lms.people.services import member_upsert

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = None  # a folder to keep screenshots of each step in, when looking at the pages


@pytest.fixture
def outbox(monkeypatch):
    """The live server runs in this process, so its locmem SMS backend writes to this list."""
    monkeypatch.setattr(sms, "outbox", [])
    monkeypatch.setattr(ratelimits, "NAMESPACE", f"test-rl:{uuid.uuid4().hex}")
    return sms.outbox


def shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def test_a_new_member_activates_on_a_phone_and_lands_on_their_home(phone, live_server, county, outbox):
    member, _created = member_upsert(name="赵新民", phone="13912340088", branch=county["branch_a"])
    assert not member.user.has_usable_password()
    page = phone

    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="第一次使用？激活账号").click()
    page.wait_for_url(f"{live_server.url}/accounts/activate/")
    shot(page, "1-phone")
    page.fill("#id_phone", "139 1234 0088")
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url(re.compile(r"/accounts/activate/code/"))
    assert "13912340088" in page.get_by_test_id("code-sent").inner_text()
    assert page.input_value("#id_phone") == "13912340088"
    assert [message.to for message in outbox] == ["13912340088"]
    code = re.search(r"\b(\d{6})\b", outbox[0].body).group(1)
    shot(page, "2-code")

    page.fill("#id_code", code)
    page.fill("#id_password1", "short")
    page.fill("#id_password2", "short")
    page.get_by_role("button", name="设置密码并登录").click()
    # The refusal comes back to the same address, so wait for the error itself, not for a navigation.
    expect(page.get_by_test_id("error-password1")).to_be_visible()  # Django's validators, in Chinese
    assert "密码" in page.get_by_test_id("error-password1").inner_text()
    shot(page, "3-refused")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.fill("#id_code", code)
    page.fill("#id_password1", "Dangxiao-2026")
    page.fill("#id_password2", "Dangxiao-2026")
    page.get_by_role("button", name="设置密码并登录").click()
    page.wait_for_url(f"{live_server.url}/me/")
    assert "赵新民" in page.get_by_test_id("profile").inner_text()
    assert "密码已设置" in page.locator(".messages").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "4-home")

    # From now on the phone number and the new password log in.
    page.get_by_role("button", name="退出").click()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "13912340088")
    page.fill("#id_password", "Dangxiao-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/me/")

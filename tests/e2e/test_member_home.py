"""A member logs in on a phone and sees their home in Chinese, then switches to English."""

import pytest

from lms.people.models import MemberCategory
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def member1(county):
    user = factories.UserFactory(username="member1", first_name="王建国", password="demo")
    return factories.MemberFactory(
        user=user, name="王建国", branch=county["branch_a"], category=MemberCategory.VILLAGE_CADRE
    )


def test_member_home_on_a_phone_in_chinese_then_english(phone, live_server, member1):
    page = phone
    page.goto(f"{live_server.url}/me/")
    assert "/login/" in page.url
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.fill("#id_username", "member1")
    page.fill("#id_password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/me/")

    profile = page.get_by_test_id("profile")
    assert "你好，王建国" in profile.inner_text()
    assert page.get_by_test_id("branch").inner_text() == "甲村党支部"
    assert page.get_by_test_id("township").inner_text() == "甲镇党校"
    assert page.get_by_test_id("category").inner_text() == '村"两委"成员'
    # Fits the phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.select_option("#language-select", "en")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Hello, 王建国" in page.get_by_test_id("profile").inner_text()
    assert page.get_by_test_id("category").inner_text() == 'Village "two committees" cadre'


def test_wrong_password_is_explained_in_chinese(phone, live_server, member1):
    page = phone
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "member1")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.get_by_role("alert").inner_text()

"""A member on a phone sees the bell's count, opens the list, marks one read and then all."""

import os
import re

import pytest
from playwright.sync_api import expect

from lms.notifications import services
from lms.notifications.models import NotificationKind
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("NOTIFICATIONS_E2E_SCREENSHOTS")  # a folder to keep each step's picture in


def shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def test_a_member_reads_reminders_on_a_phone(phone, live_server, county):
    user = factories.UserFactory(username="member9", first_name="李红", password="demo")
    factories.MemberFactory(user=user, name="李红", branch=county["branch_a"])
    for i, title in enumerate(["冬训班开班", "党章知识考试", "基层治理专题"]):
        services.notify(
            user, NotificationKind.EXAM_SCHEDULED, f"exam:{i}", context={"title": title}, url="/me/"
        )
    page = phone
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "member9")
    page.fill("#id_password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/me/$"))

    bell = page.get_by_test_id("bell")
    expect(page.get_by_test_id("bell-count")).to_have_text("3")
    shot(page, "1-home")
    bell.click()
    page.wait_for_url(re.compile(r"/me/notifications/$"))
    items = page.get_by_test_id("notification")
    expect(items).to_have_count(3)
    expect(items.first).to_contain_text("考试安排：基层治理专题")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    shot(page, "2-list")
    items.first.get_by_test_id("mark-read").click()
    expect(page.get_by_test_id("bell-count")).to_have_text("2")
    expect(items.first).to_have_attribute("data-read", "1")
    page.get_by_test_id("read-all").click()
    expect(page.get_by_test_id("bell-count")).to_have_count(0)
    expect(page.get_by_test_id("bell")).to_have_attribute("data-unread", "0")
    expect(page.locator('[data-testid="notification"][data-read="0"]')).to_have_count(0)

    page.get_by_role("link", name="提醒方式").click()
    expect(page.get_by_test_id("preferences")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "3-preferences")
    page.get_by_test_id("sms-results_released").check()
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("sms-results_released")).to_be_checked()

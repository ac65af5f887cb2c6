"""A member visits a teaching point's online hall on a 390 px phone."""

import pytest

from tests.courses.hall_helpers import hall_fill, site_at
from tests.e2e.conftest import chromium, phone  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_hall_on_a_phone(phone, live_server, county):  # noqa: F811
    site_at(county["city"])
    point = hall_fill(county["point_a"])
    page = phone
    page.goto(f"{live_server.url}/login/?next={point.url}")
    page.fill("#id_username", county["member_a"].user.username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.get_by_test_id("hall-link").click()
    page.wait_for_url(f"**{point.url}hall/")
    assert "红色教育展厅" in page.get_by_test_id("hall-title").inner_text() + page.content()
    gallery = page.get_by_test_id("hall-gallery")
    assert gallery.locator("img").count() == 2
    width = gallery.locator("img").first.bounding_box()["width"]
    assert 200 < width <= 390
    assert page.get_by_test_id("hall-video").locator("video").is_visible()
    assert page.get_by_test_id("hall-audio").locator("audio").is_visible()
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

"""The organization department opens the dashboard: every chart is drawn (ECharts, SVG) under the
Content-Security-Policy, the ranking has its sparklines, and a click drills down from the county to
a township, a branch and a member's ledger."""

import os

import pytest
from playwright.sync_api import expect

from tests.attendance.conftest import classes  # noqa: F401 (fixture)
from tests.stats.conftest import YEAR, known  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desktop(chromium):
    context = chromium.new_context(viewport={"width": 1300, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


def charts_drawn(page, names):
    for name in names:
        chart = page.locator(f"[data-chart={name}]")
        expect(chart).to_have_attribute("data-drawn", "1")
        assert chart.locator("svg path, svg rect, svg polyline").count() > 3, name


def test_dashboard_charts_and_drill_down(desktop, live_server, known):  # noqa: F811
    page = desktop
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "org")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/admin/stats/?year={YEAR}")
    charts_drawn(
        page, ["coverage", "months", "classes", "class_months", "participation", "satisfaction", "trend"]
    )
    expect(page.get_by_test_id("figure-members")).to_have_text("4")
    if shots := os.environ.get("STATS_E2E_SCREENSHOTS"):  # a directory: look at the page
        page.screenshot(path=f"{shots}/stats-county.png", full_page=True)

    page.get_by_test_id("drill").filter(has_text=known["town_a"].title).click()
    expect(page.get_by_test_id("figure-members")).to_have_text("3")
    charts_drawn(page, ["coverage", "months", "classes", "participation"])
    assert page.locator("[data-chart=satisfaction]").count() == 0  # teachers only at the county

    page.get_by_test_id("drill").filter(has_text=known["branch_a"].name).click()
    expect(page.get_by_test_id("member-row")).to_have_count(2)
    page.get_by_test_id("member-link").filter(has_text=known["cadre_a"].name).click()
    expect(page.get_by_test_id("ledger-row")).to_have_count(12)
    assert not problems, problems

"""The organization department opens the evaluation ranking: each teacher with results in the last
five years has an SVG sparkline (ECharts from our static files, under the Content-Security-Policy),
the latest rate next to it, and a text table of the years and rates; a teacher without results has
none."""

import os
from datetime import date

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.test_live_room_badges import page_for
from tests.evaluation.test_ranking_trend import YEAR, lecture, teacher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ranking_rows_have_sparklines_with_their_figures_as_text(chromium, live_server, county):
    steady, earlier = teacher(), teacher()
    lecture(county, steady, date(2023, 10, 9), [5, 5, 5, 5, 5, 2])  # 83.3
    lecture(county, steady, date(YEAR, 10, 12), [5, 5, 5, 5, 5, 5])  # 100.0
    lecture(county, earlier, date(2024, 10, 9), [5, 5, 5, 2, 2, 1])  # 50.0
    idle = factories.TeacherFactory()
    page = page_for(chromium, live_server.url, county["org"], viewport={"width": 1300, "height": 1000})
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server.url}/admin/evaluation/ranking/?year={YEAR}")

    rows = page.get_by_test_id("ranking-row")
    expect(rows).to_have_count(3)
    for who, figures in ((steady, ["2023", "83.3%", "2026", "100.0%"]), (earlier, ["2024", "50.0%"])):
        row = page.locator(f"[data-testid=ranking-row][data-teacher='{who.pk}']")
        spark = row.get_by_test_id("sparkline")
        expect(spark).to_have_attribute("data-drawn", "1")
        assert spark.locator("svg").count() == 1
        assert spark.locator("svg path").count() >= 1  # the line (with a gap where a year is missing)
        text = row.get_by_test_id("trend-figures").text_content()
        for figure in figures:
            assert figure in text, (figure, text)
    steady_row = page.locator(f"[data-testid=ranking-row][data-teacher='{steady.pk}']")
    # 2023 and 2026 with nothing between: a faint dashed line bridges the gap years.
    assert steady_row.locator("[data-testid=sparkline] svg path[stroke-dasharray]").count() == 1
    assert steady_row.get_by_test_id("trend-latest").inner_text() == "100.0%"
    idle_row = page.locator(f"[data-testid=ranking-row][data-teacher='{idle.pk}']")
    assert idle_row.get_by_test_id("sparkline").count() == 0
    assert page.locator("[data-testid=sparkline] svg").count() == 2  # one per row with a trend
    # The figures table is for screen readers and print: not shown on screen.
    box = steady_row.get_by_test_id("trend-figures").bounding_box()
    assert box is None or box["width"] <= 1
    if shots := os.environ.get("RANKING_E2E_SCREENSHOTS"):  # a directory: look at the page
        page.screenshot(path=f"{shots}/evaluation-ranking.png", full_page=True)
        page.emulate_media(media="print")
        page.screenshot(path=f"{shots}/evaluation-ranking-print.png", full_page=True)
    assert not problems, problems
    page.context.close()

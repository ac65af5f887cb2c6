"""A township's staff open a course's figures in the admin: the funnel chart is drawn (ECharts' SVG, from
our static files, inside the CSP), its table is behind it, a video lesson links to its drop-off
curve; then they export the learners and get the download link on the export's page."""

import pytest

from courses import learning_services as services
from courses.learning_models import CompletionWay
from tests import factories
from tests.courses.learning_helpers import online_course, ready_video
from tests.e2e.conftest import chromium  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_see_the_funnel_and_export_the_learners(chromium, live_server, county):  # noqa: F811
    video = ready_video(county["town_a"], title="甲镇课程视频")
    course, lessons = online_course(county["town_a"], title="甲镇党章课程", video=video)
    learners = [county["member_a"], *factories.MemberFactory.create_batch(2, branch=county["branch_a"])]
    for member in learners:
        services.lesson_open(member=member, lesson=lessons[0])
    services.lesson_complete(member=learners[1], lesson=lessons[0], way=CompletionWay.VIDEO)
    services.lesson_complete(member=learners[1], lesson=lessons[1], way=CompletionWay.OPENED)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    blocked = []
    page.on(
        "console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text)
    )
    page.goto(f"{live_server.url}/login/?next=/admin/")
    page.fill("#id_username", "staff_a")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")
    page.goto(f"{live_server.url}/admin/courses/{course.pk}/learners/")

    # The chart: an SVG with a bar per lesson and series (drawn, not an empty box).
    chart = page.get_by_test_id("funnel-chart")
    chart.locator("svg path").first.wait_for(state="attached")
    assert chart.locator("svg").count() == 1
    assert chart.locator("svg path").count() >= len(lessons)
    assert "已到达" in chart.inner_text() or "已到达" in chart.locator("svg").inner_html()
    box = chart.locator("svg").bounding_box()
    assert box["width"] > 300 and box["height"] > 200
    # Its table: three lessons, the first reached by all three learners.
    rows = page.get_by_test_id("lesson-rate")
    assert rows.count() == 3
    assert rows.nth(0).get_by_test_id("reached").inner_text() == "3 (100%)"
    assert rows.nth(1).get_by_test_id("in-order").inner_text() == "1 (33%)"
    assert page.get_by_test_id("curve-link").count() == 1
    assert not blocked, blocked

    # The export: the button opens the export's page, which offers the file once built.
    page.get_by_test_id("export-xlsx").click()
    page.wait_for_url("**/admin/exports/**")
    download = page.get_by_test_id("export-download")
    download.wait_for(state="visible")
    assert "course-" in download.inner_text() and ".xlsx" in download.inner_text()
    with page.expect_download() as got:
        download.click()
    assert got.value.suggested_filename == f"course-{course.pk}-learners.xlsx"

    # The video lesson's drop-off curve opens from the table.
    page.goto(f"{live_server.url}/admin/courses/{course.pk}/learners/")
    page.get_by_test_id("curve-link").click()
    page.wait_for_url(f"**/admin/learning/{video.pk}/")
    assert "在线学习：甲镇课程视频" in page.locator("h1").first.inner_text()  # its own title, not 首页
    page.get_by_test_id("chart").locator("canvas, svg").first.wait_for(state="attached")
    context.close()

"""The ranking page's five-year trend per teacher: the sparkline's values (json_script) with gaps for
years without results, the latest rate as text, the years and rates in a text table; the page's
queries do not grow with teachers or with years of history."""

import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tests import factories
from tests.attendance.conftest import attend
from tests.evaluation.helpers import answer_all, close

pytestmark = pytest.mark.django_db

YEAR = 2026
RANKING = reverse("evaluation_ranking:index")


def teacher():
    return factories.TeacherFactory(user=factories.UserFactory())


def lecture(county, teacher, day: date, overall: list[int]):
    """A township A class on `day` whose leader lecture `teacher` taught; members of branch A attended
    and answered, the n-th giving overall[n] to the satisfaction item; closed and counted."""
    training_class = factories.training_class(
        county["town_a"], day, teacher=teacher, point=county["point_a"], publish=True
    )
    session = training_class.sessions.get(kind="leader_lecture")
    members = [factories.MemberFactory(branch=county["branch_a"]) for _ in overall]
    for member in members:
        attend(member, session)
    taught = {
        "lecture": session,
        "members": members,
        "after": lambda hours: session.ends_at + timedelta(hours=hours),
    }
    return close(answer_all(taught, overall))


def trends_of(page: str) -> dict:
    start = page.index('<script id="ranking-trends" type="application/json">') + len(
        '<script id="ranking-trends" type="application/json">'
    )
    return json.loads(page[start : page.index("</script>", start)])


def row_html(page: str, teacher) -> str:
    start = page.index(f'data-teacher="{teacher.pk}"')
    return page[start : page.index('data-testid="composite"', start)]  # up to the cell after the trend


def test_trend_values_gaps_latest_and_text_alternative(client, county):
    steady = teacher()
    lecture(county, steady, date(2023, 10, 9), [5, 5, 5, 5, 5, 2])  # 5 of 6: 83.3
    lecture(county, steady, date(YEAR, 10, 12), [5, 5, 5, 5, 5, 5])  # 100
    earlier = teacher()
    lecture(county, earlier, date(2024, 10, 9), [5, 5, 5, 2, 2, 1])  # 3 of 6: 50, nothing since
    idle = factories.TeacherFactory()  # in the pool, never evaluated
    client.force_login(county["org"])
    with translation.override("en"):
        page = client.get(RANKING, {"year": YEAR}).content.decode()

    trends = trends_of(page)
    assert trends["years"] == [2022, 2023, 2024, 2025, 2026]
    assert trends["values"] == {
        str(steady.pk): [None, 83.3, None, None, 100.0],
        str(earlier.pk): [None, None, 50.0, None, None],
    }
    assert "→" not in page  # no more "– → 92.3"

    steady_row = row_html(page, steady)
    assert 'data-testid="sparkline"' in steady_row and f'data-spark="{steady.pk}"' in steady_row
    assert 'data-testid="trend-latest">100.0%<' in steady_row
    figures = steady_row[steady_row.index('data-testid="trend-figures"') :]
    for text in ("2022", "2023", "83.3%", "2025", "2026", "100.0%"):
        assert text in figures, text
    assert "no result" in figures or "无结果" in figures  # the admin speaks the account's language
    earlier_row = row_html(page, earlier)
    assert 'data-testid="trend-latest">50.0% (2024)<' in earlier_row  # not this year's: its year said
    idle_row = row_html(page, idle)
    assert 'data-testid="sparkline"' not in idle_row and "trend-figures" not in idle_row
    assert page.count('data-testid="sparkline"') == 2
    # CSP: the figures are data, the drawing is our static script.
    assert "stats/sparkline.js" in page and "vendor/echarts.min.js" in page


def test_ranking_page_queries_do_not_grow_with_teachers_or_years(client, county):
    first = teacher()
    lecture(county, first, date(YEAR, 10, 5), [5, 5, 5, 5, 5, 5])
    client.force_login(county["org"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(RANKING, {"year": YEAR})
        assert response.status_code == 200
        return len(captured), len(trends_of(response.content.decode())["values"])

    client.get(RANKING, {"year": YEAR})
    few, few_lines = queries()
    for year in (2022, 2023, 2024, 2025):  # four more years of history, three more teachers
        lecture(county, first, date(year, 10, 5), [5, 5, 5, 5, 2, 2])
    for day in (6, 7, 8):
        other = teacher()
        lecture(county, other, date(2024, 9, day), [5, 5, 5, 5, 5, 1])
        lecture(county, other, date(YEAR, 10, day), [5, 5, 5, 5, 5, 5])
    many, many_lines = queries()
    assert (few_lines, many_lines) == (1, 4)
    assert many == few

"""The admin home's year-so-far panel: the place's coverage and classes, the units furthest behind
(each opening its figures), scoped like the dashboard."""

from datetime import datetime
from zoneinfo import ZoneInfo

from lms.dashboard import selectors
from tests.attendance.conftest import classes  # noqa: F401 (fixture)
from tests.stats.conftest import known  # noqa: F401 (fixture)

NOW = datetime(2026, 12, 9, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_org_dept_sees_the_county_and_the_townships_behind(known):  # noqa: F811
    figures = selectors.year_figures(known["org"], NOW)
    assert (figures.coverage.met, figures.coverage.required) == (2, 4)
    assert (figures.classes.held, figures.classes.compliant, figures.classes.planned) == (3, 3, 3)
    assert [row.title for row in figures.weakest] == [known["town_b"].title, known["town_a"].title]


def test_township_staff_see_their_branches(known):  # noqa: F811
    figures = selectors.year_figures(known["staff_a"], NOW)
    assert (figures.coverage.met, figures.coverage.required) == (2, 3)
    assert [row.title for row in figures.weakest] == ["甲二村党支部"]


def test_panel_on_the_admin_home(client, known):  # noqa: F811
    client.force_login(known["staff_a"])
    html = client.get("/admin/").content.decode()
    assert 'data-testid="year-figures"' in html
    assert f"/admin/stats/branches/{known['branch_a2'].pk}/" in html
    assert f"/admin/stats/townships/{known['town_b'].pk}/" not in html
    client.force_login(known["member_a"].user)
    assert 'data-testid="year-figures"' not in client.get("/admin/").content.decode()

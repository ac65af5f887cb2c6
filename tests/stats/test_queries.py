"""The dashboard costs the same number of queries however many years, townships, branches and
members there are (the figures are grouped in the database, bounded by the year)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.stats import selectors
from tests import factories
from tests.attendance.conftest import attend, on
from tests.stats.conftest import YEAR, sessions


def dashboard_queries(client, user, url) -> int:
    client.force_login(user)
    client.get(url, {"year": YEAR})  # warm caches (roles, site)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"year": YEAR}).status_code == 200
    return len(queries)


def grow(known, classes):
    """More townships, branches, members and five more years of history."""
    for index in range(3):
        teacher = factories.TeacherFactory()
        town = factories.township_school(known["city"], f"新镇{index}")
        point = factories.teaching_point(town)
        for _b in range(2):
            branch = factories.BranchFactory(township=town)
            members = [factories.MemberFactory(branch=branch) for _m in range(3)]
        for year in range(YEAR - 5, YEAR + 1):
            held = factories.training_class(town, on(year, 4, 7), teacher=teacher, point=point, publish=True)
            for session in sessions(held):
                for member in members:
                    attend(member, session)


def test_query_counts_do_not_grow(client, known, classes):
    urls = {
        "county": (known["org"], "/admin/stats/"),
        "city": (known["city_staff"], "/admin/stats/"),
        "township": (known["staff_a"], "/admin/stats/"),
        "branch": (known["org"], f"/admin/stats/branches/{known['branch_a'].pk}/"),
    }
    before = {name: dashboard_queries(client, *args) for name, args in urls.items()}
    grow(known, classes)
    for _m in range(5):
        factories.MemberFactory(branch=known["branch_a"])
    after = {name: dashboard_queries(client, *args) for name, args in urls.items()}
    assert after == before
    api_before = dashboard_queries(client, known["org"], "/api/v1/stats")
    assert api_before <= before["county"]


def test_selectors_alone_fixed_count(known, classes, django_assert_max_num_queries):
    place = selectors.home_place(known["org"])
    with CaptureQueriesContext(connection) as small:
        selectors.dashboard(known["org"], place, YEAR)
    grow(known, classes)
    place = selectors.home_place(known["org"])
    with django_assert_max_num_queries(len(small)):
        selectors.dashboard(known["org"], place, YEAR)

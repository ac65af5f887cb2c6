import pytest

from tests import factories


@pytest.fixture
def county(db):
    """A small network: a city school with two townships, their teaching points, branches, members."""
    city = factories.city_school()
    town_a = factories.township_school(city, "甲镇党校")
    town_b = factories.township_school(city, "乙镇党校")
    branch_a = factories.BranchFactory(township=town_a, name="甲村党支部")
    branch_b = factories.BranchFactory(township=town_b, name="乙村党支部")
    return {
        "city": city,
        "town_a": town_a,
        "town_b": town_b,
        "point_a": factories.teaching_point(town_a),
        "point_b": factories.teaching_point(town_b),
        "branch_a": branch_a,
        "branch_b": branch_b,
        "member_a": factories.MemberFactory(branch=branch_a),
        "member_b": factories.MemberFactory(branch=branch_b),
        "staff_a": factories.staff_user(town_a, "staff_a"),
        "staff_b": factories.staff_user(town_b, "staff_b"),
        "city_staff": factories.staff_user(city, "city_staff"),
        "org": factories.org_dept_user(),
    }

"""A small county with figures worked out by hand (see `known`)."""

import pytest

from lms.people.models import MemberCategory
from lms.scheduling.models import AnnualPlan, PlannedClass
from lms.stats import services
from tests import factories
from tests.attendance.conftest import attend, classes, on  # noqa: F401 (the `classes` fixture)

YEAR = 2026


def sessions(training_class):
    return list(training_class.sessions.order_by("starts_at"))


@pytest.fixture
def known(county, classes):  # noqa: F811
    """Township A: member_a (ordinary) trains one day in March (met in March); cadre_a (village
    cadre, two days) one day in March and one in May (met in May); old_a (branch A2) trained only in
    2023 (five-year rotation, not this year). Township B: member_b trains 3 sessions in person and 1
    by replay in April, misses 2 (make-up owed). Township A planned 3 classes (March, May, September).
    """
    cadre_a = factories.MemberFactory(branch=county["branch_a"], category=MemberCategory.VILLAGE_CADRE)
    branch_a2 = factories.BranchFactory(township=county["town_a"], name="甲二村党支部")
    old_a = factories.MemberFactory(branch=branch_a2)
    march = classes(county["town_a"], on(YEAR, 3, 2))
    may = classes(county["town_a"], on(YEAR, 5, 6))
    april_b = classes(county["town_b"], on(YEAR, 4, 6), point=county["point_b"])
    old = classes(county["town_a"], on(2023, 6, 5))
    for session in sessions(march):
        attend(county["member_a"], session)
        attend(cadre_a, session)
    for session in sessions(may):
        attend(cadre_a, session)
    b = sessions(april_b)
    for session in b[:3]:
        attend(county["member_b"], session)
    attend(county["member_b"], b[3], source="replay")
    for session in b[4:]:
        attend(county["member_b"], session, "absent", source="auto")
    attend(old_a, sessions(old)[0])
    plan = AnnualPlan.objects.create(school=county["town_a"], year=YEAR)
    for month in (3, 5, 9):
        PlannedClass.objects.create(plan=plan, title=f"计划{month}", month=month)
    for year in (2023, YEAR):  # the worker sums the years with records (services.figures_refresh)
        services.figures_refresh(year=year)
    return {**county, "cadre_a": cadre_a, "branch_a2": branch_a2, "old_a": old_a}

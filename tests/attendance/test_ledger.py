"""The hours ledger: totals per source, the yearly requirement per member category (default and
custom rules), where hours count, and the 5-year rotation."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from lms.attendance import selectors, services
from lms.attendance.models import RequirementScope
from lms.people.models import MemberCategory
from tests.attendance.conftest import attend, on

YEAR = 2026


def sessions(training_class):
    return list(training_class.sessions.order_by("starts_at"))


def test_hours_add_up_per_source(county, classes):
    member = county["member_a"]
    first, *rest = sessions(classes(county["town_a"], on(YEAR, 3, 2)))
    attend(member, first)
    attend(member, rest[0])
    attend(member, rest[1], source="roll_call")
    attend(member, rest[2], "late", source="roll_call", minutes=30)
    attend(member, rest[3], "excused", source="leave")
    attend(member, rest[4], "absent", source="auto")
    ledger = selectors.member_ledger(member, YEAR)
    assert ledger.minutes_by_source == {"qr": 120, "roll_call": 90}
    assert ledger.total_minutes == ledger.counted_minutes == 210
    assert len(ledger.records) == 4  # excused and absent credit nothing and are not listed
    assert all(record.counts for record in ledger.records)
    assert not ledger.met and ledger.required_minutes == 6 * 60


def test_default_rules_one_day_for_members_two_for_village_cadres(county, classes):
    ordinary, cadre = county["member_a"], county["member_b"]
    cadre.branch = county["branch_a"]
    cadre.category = MemberCategory.VILLAGE_CADRE
    cadre.save()
    for session in sessions(classes(county["town_a"], on(YEAR, 4, 6))):
        attend(ordinary, session)
        attend(cadre, session)
    assert services.default_rule(YEAR, MemberCategory.BRANCH_SECRETARY).hours == Decimal(12)
    ordinary_ledger, cadre_ledger = (
        selectors.member_ledger(ordinary, YEAR),
        selectors.member_ledger(cadre, YEAR),
    )
    assert ordinary_ledger.counted_minutes == cadre_ledger.counted_minutes == 360
    assert ordinary_ledger.met and ordinary_ledger.required_minutes == 360
    assert not cadre_ledger.met and cadre_ledger.required_minutes == 720
    for session in sessions(classes(county["town_a"], on(YEAR, 5, 6))):
        attend(cadre, session)
    assert selectors.member_ledger(cadre, YEAR).met
    behind = selectors.members_behind(county["org"], YEAR)
    assert ordinary not in behind and cadre not in behind and county["member_b"] not in behind


def test_custom_rule_set_by_the_organization_department(county, classes):
    member = county["member_a"]
    for session in sessions(classes(county["town_a"], on(YEAR, 3, 2)))[:4]:
        attend(member, session)
    assert not selectors.member_ledger(member, YEAR).met
    with pytest.raises(PermissionDenied):
        services.requirement_rule_set(
            actor=county["staff_a"], year=YEAR, category="ordinary", hours=3, scope="township"
        )
    services.requirement_rule_set(
        actor=county["org"], year=YEAR, category="ordinary", hours=Decimal("3.5"), scope="township"
    )
    ledger = selectors.member_ledger(member, YEAR)
    assert ledger.met and ledger.required_minutes == 210
    assert not selectors.member_ledger(member, YEAR + 1).met  # the next year keeps the default
    row = selectors.members_with_hours(county["org"], YEAR).get(pk=member.pk)
    assert (row.counted_minutes, row.required_minutes) == (240, 210)


def test_township_rule_does_not_count_another_schools_session(county, classes):
    member = county["member_a"]
    city_session = sessions(classes(county["city"], on(YEAR, 6, 1)))[0]
    other_township = sessions(classes(county["town_b"], on(YEAR, 6, 2), point=county["point_b"]))[0]
    own = sessions(classes(county["town_a"], on(YEAR, 6, 3)))[0]
    for session in (city_session, other_township, own):
        attend(member, session)
    ledger = selectors.member_ledger(member, YEAR)
    assert [record.counts for record in ledger.records] == [False, False, True]
    assert (ledger.total_minutes, ledger.counted_minutes) == (180, 60)
    row = selectors.members_with_hours(county["org"], YEAR).get(pk=member.pk)
    assert (row.total_minutes, row.counted_minutes) == (180, 60)

    services.requirement_rule_set(
        actor=county["org"], year=YEAR, category="ordinary", hours=3, scope=RequirementScope.ANY_SCHOOL
    )
    ledger = selectors.member_ledger(member, YEAR)
    assert all(record.counts for record in ledger.records) and ledger.counted_minutes == 180 and ledger.met
    assert selectors.members_with_hours(county["org"], YEAR).get(pk=member.pk).counted_minutes == 180


@pytest.mark.parametrize(("years_ago", "rotated"), [(0, True), (4, True), (5, False), (6, False)])
def test_five_year_rotation(county, classes, years_ago, rotated):
    member = county["member_a"]
    attend(member, sessions(classes(county["town_a"], on(YEAR - years_ago, 9, 7)))[0])
    ledger = selectors.member_ledger(member, YEAR)
    assert ledger.rotation_met is rotated
    assert (ledger.last_attended == on(YEAR - years_ago, 9, 7)) is rotated
    assert ledger.total_minutes == (60 if years_ago == 0 else 0)


def test_absence_does_not_count_for_the_rotation(county, classes):
    attend(
        county["member_a"],
        sessions(classes(county["town_a"], on(YEAR - 2, 9, 7)))[0],
        "absent",
        source="auto",
    )
    assert not selectors.member_ledger(county["member_a"], YEAR).rotation_met

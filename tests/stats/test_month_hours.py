"""The members' monthly hours (MemberMonthHours) the dashboards read: what a refresh stores equals the
known county's records worked out by hand and the live hours ledger; a refresh is idempotent and two
at once agree; the figures follow the records after the worker's refresh, and the page says when."""

import threading

import pytest
from django.db import connection, connections
from django.db.models import Q

from lms.attendance import selectors as hours
from lms.people.models import Member
from lms.stats import selectors, services
from lms.stats.models import FiguresRefresh, MemberMonthHours
from tests import factories
from tests.attendance.conftest import attend, on
from tests.stats.conftest import YEAR, sessions

COLUMNS = (
    "attended_sessions",
    "credited_sessions",
    "minutes",
    "township_minutes",
    "in_person_minutes",
    "live_minutes",
    "replay_minutes",
    "replays",
    "absences",
    "online_minutes",
)


def stored(year: int | None = None) -> dict:
    rows = MemberMonthHours.objects.all() if year is None else MemberMonthHours.objects.filter(year=year)
    return {(row.member_id, row.year, row.month): tuple(getattr(row, c) for c in COLUMNS) for row in rows}


def test_sums_equal_the_records_worked_out_by_hand(known):
    """Classes of six one-hour sessions (tests/attendance/conftest.py `classes`); see `known`."""
    one_class = (6, 6, 360, 360, 360, 0, 0, 0, 0, 0)
    assert stored() == {
        (known["member_a"].pk, YEAR, 3): one_class,
        (known["cadre_a"].pk, YEAR, 3): one_class,
        (known["cadre_a"].pk, YEAR, 5): one_class,
        # 3 in person + 1 by replay attended (240 minutes, all at the own township), 2 absent
        (known["member_b"].pk, YEAR, 4): (4, 4, 240, 240, 180, 0, 60, 1, 2, 0),
        (known["old_a"].pk, 2023, 6): (1, 1, 60, 60, 60, 0, 0, 0, 0, 0),
    }


def test_sums_equal_the_live_ledger(known):
    members = list(Member.objects.select_related("branch").order_by("pk"))
    hours.with_hours(members, YEAR)
    page, _count = selectors.members_page(selectors.home_place(known["org"]), YEAR)
    from_sums = {member.pk: (member.total_minutes, member.counted_minutes) for member in page}
    assert from_sums == {member.pk: (member.total_minutes, member.counted_minutes) for member in members}
    rules = hours.requirement_rules(YEAR)
    meeting = hours.members_meeting_requirement(YEAR, rules)
    live = set(Member.objects.filter(pk__in=meeting).values_list("pk", flat=True))
    assert set(selectors.members_meeting_requirement(YEAR, rules).values_list("member_id", flat=True)) == live
    assert live == {known["member_a"].pk, known["cadre_a"].pk}


def test_refresh_is_idempotent(known):
    before = stored()
    first = services.figures_refresh(year=YEAR)
    again = services.figures_refresh(year=YEAR)
    assert stored() == before
    assert first.pk == again.pk and again.rows == MemberMonthHours.objects.filter(year=YEAR).count() == 4
    assert FiguresRefresh.objects.filter(year=YEAR).count() == 1


def test_figures_follow_the_records_after_a_refresh(client, known, classes):
    """A record written after the refresh shows once the worker has summed the year again."""
    place = selectors.home_place(known["org"])
    june = classes(known["town_b"], on(YEAR, 6, 8), point=known["point_b"])
    for session in sessions(june)[:2]:
        attend(known["member_b"], session)
    _rows, total = selectors.participation(place, YEAR)
    assert total.in_person_minutes == 1260  # not yet: the sums are the fixture's
    services.figures_refresh(year=YEAR)
    _rows, total = selectors.participation(place, YEAR)
    assert total.in_person_minutes == 1380
    months = selectors.coverage_by_month(place, YEAR)
    assert months[5]["trained"] == 1 and months[5]["met"] == 3  # member_b: 240 + 120 = 360, met in June
    client.force_login(known["org"])
    page = client.get("/admin/stats/", {"year": YEAR}).content.decode()
    assert 'data-testid="figures-refreshed"' in page


def test_first_read_of_a_year_sums_it(known):
    """A year never summed (nor the years of its rotation) is summed on its first read, once."""
    MemberMonthHours.objects.all().delete()
    FiguresRefresh.objects.all().delete()
    _rows, total = selectors.coverage(selectors.home_place(known["org"]), YEAR)
    assert (total.met, total.rotated) == (2, 4)
    assert set(FiguresRefresh.objects.values_list("year", flat=True)) == set(range(YEAR - 4, YEAR + 1))
    assert len(stored()) == 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_agree(known):
    """Two workers refreshing one year at the same moment (also its very first time, when both create
    its stamp): neither fails, and the year holds one set of sums, the same as one refresh leaves."""
    expected = stored(YEAR)
    for first_time in (True, False):
        if first_time:
            FiguresRefresh.objects.filter(year=YEAR).delete()
            MemberMonthHours.objects.filter(year=YEAR).delete()
        barrier, errors = threading.Barrier(2), []

        def refresh(barrier=barrier, errors=errors):
            try:
                barrier.wait(timeout=10)
                services.figures_refresh(year=YEAR)
            except Exception as error:
                errors.append(error)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=refresh) for _t in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert stored(YEAR) == expected
        assert FiguresRefresh.objects.filter(year=YEAR).count() == 1


def test_exam_left_out_by_setting_credits_no_minutes_but_counts_for_the_rotation(known, classes):
    """The sums follow the ledger's `uncounted_sessions` (lms.quizzes registers exams by setting)."""
    hours.register_uncounted_sessions(_no_may_sessions)
    try:
        services.figures_refresh(year=YEAR)
        may = stored(YEAR)[(known["cadre_a"].pk, YEAR, 5)]
        assert may == (6, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    finally:
        hours._uncounted_sessions.remove(_no_may_sessions)
    services.figures_refresh(year=YEAR)
    assert stored(YEAR)[(known["cadre_a"].pk, YEAR, 5)][2] == 360


def _no_may_sessions(year):
    return Q(session__starts_at__month=5)


def test_more_members_same_sums_per_member(known):
    """A member with no records has no monthly rows (the sums grow with attendance, not members)."""
    factories.MemberFactory(branch=known["branch_a"])
    services.figures_refresh(year=YEAR)
    assert len(stored(YEAR)) == 4

"""The dashboard's figures on the known county, worked out by hand (tests/stats/conftest.py)."""

from decimal import Decimal

from lms.stats import selectors, services
from tests.stats.conftest import YEAR


def county_place(known):
    return selectors.home_place(known["org"])


def test_coverage_by_township_and_total(known):
    place = county_place(known)
    assert place.level == selectors.COUNTY
    rows, total = selectors.coverage(place, YEAR)
    by_title = {row.title: row for row in rows}
    a, b = by_title[known["town_a"].title], by_title[known["town_b"].title]
    assert (a.members, a.required, a.met, a.cadres, a.cadres_met, a.rotated) == (3, 3, 2, 1, 1, 3)
    assert (b.members, b.required, b.met, b.cadres, b.cadres_met, b.rotated) == (1, 1, 0, 0, 0, 1)
    assert (total.members, total.met, total.behind) == (4, 2, 2)
    assert total.met_share == Decimal("50.0") and a.met_share == Decimal("66.7")
    assert total.rotation_share == Decimal("100.0")


def test_coverage_the_year_before_counts_only_the_rotation(known):
    _rows, total = selectors.coverage(county_place(known), YEAR - 1)
    assert (total.members, total.met, total.rotated) == (4, 0, 1)  # old_a trained in 2023


def test_coverage_by_branch_in_a_township(known):
    place = selectors.township_place(known["org"], known["town_a"].pk)
    rows, total = selectors.coverage(place, YEAR)
    assert [(row.title, row.members, row.met) for row in rows] == [
        ("甲二村党支部", 1, 0),
        ("甲村党支部", 2, 2),
    ]
    assert (total.members, total.met) == (3, 2)


def test_coverage_over_the_months(known):
    months = selectors.coverage_by_month(county_place(known), YEAR)
    met = [row["met"] for row in months]
    trained = [row["trained"] for row in months]
    assert met == [0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]  # member_a in March, the cadre's second day in May
    assert trained == [0, 0, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0]


def test_classes_planned_held_compliant(known):
    figures = selectors.classes(county_place(known), YEAR)
    by_title = {row.title: row for row in figures["schools"]}
    a, b = by_title[known["town_a"].title], by_title[known["town_b"].title]
    assert (a.planned, a.held, a.compliant) == (3, 2, 2)
    assert (b.planned, b.held, b.compliant) == (0, 1, 1)
    assert by_title[known["city"].title].held == 0
    months = {row.key: (row.planned, row.held) for row in figures["months"]}
    assert months[3] == (1, 1) and months[4] == (0, 1) and months[5] == (1, 1) and months[9] == (1, 0)
    total = figures["total"]
    assert (total.planned, total.held, total.compliant) == (3, 3, 3)


def test_participation_minutes_replays_and_make_up(known):
    rows, total = selectors.participation(county_place(known), YEAR)
    by_title = {row.title: row for row in rows}
    a, b = by_title[known["town_a"].title], by_title[known["town_b"].title]
    assert (a.in_person_minutes, a.replay_minutes, a.replays, a.makeup_owed) == (1080, 0, 0, 0)
    assert (b.in_person_minutes, b.replay_minutes, b.replays, b.makeup_owed) == (180, 60, 1, 2)
    assert total.total_minutes == 1320 and total.live_minutes == 0


def test_branch_members_with_their_hours(known):
    place = selectors.branch_place(known["staff_a"], known["branch_a"].pk)
    members, count = selectors.members_page(place, YEAR)
    assert count == 2
    hours = {m.name: (m.counted_minutes, m.required_minutes, m.met) for m in members}
    assert hours[known["member_a"].name] == (360, 360, True)
    assert hours[known["cadre_a"].name] == (720, 720, True)


def test_online_study_counts_in_coverage_participation_and_the_month_last_watched(known):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from lms.attendance.models import OnlineStudy
    from lms.vod.models import Video

    video = Video.objects.create(title="党课视频", school=known["town_b"])
    OnlineStudy.objects.create(
        member=known["member_b"],
        video=video,
        year=YEAR,
        seconds=200 * 60,
        minutes=200,
        updated_at=datetime(YEAR, 6, 15, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
    )
    services.figures_refresh(year=YEAR)  # the worker's refresh (the figures are read from its sums)
    place = county_place(known)
    rows, total = selectors.participation(place, YEAR)
    b = next(row for row in rows if row.key == known["town_b"].pk)
    assert (b.online_minutes, b.other_minutes, total.online_minutes) == (200, 200, 200)
    # member_b: 180 in person + 60 replay + 200 online = 440 ≥ 360: met, in June
    _rows, coverage = selectors.coverage(place, YEAR)
    assert coverage.met == 3
    months = selectors.coverage_by_month(place, YEAR)
    assert [row["met"] for row in months][4:7] == [2, 3, 3]
    assert months[5]["trained"] == 1

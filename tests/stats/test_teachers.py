"""Teacher figures on the dashboard: the satisfaction distribution, the flags below 90 % and 60 %,
and each category's five-year trend, from evaluations answered by hand."""

from datetime import datetime
from zoneinfo import ZoneInfo

from lms.evaluation.counting import evaluations_count_closed
from lms.stats import selectors
from tests.evaluation.conftest import make_taught
from tests.evaluation.helpers import answer_all

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 30, 10, 0, tzinfo=SHANGHAI)


def test_distribution_flags_and_trend(county):
    poor = make_taught(county, day=datetime(2026, 11, 10, tzinfo=SHANGHAI).date())
    answer_all(poor, [5, 5, 2, 2, 1, 1])  # 2 of 6 satisfied: 33 %
    fair = make_taught(county, day=datetime(2026, 11, 12, tzinfo=SHANGHAI).date())
    answer_all(fair, [5, 5, 5, 5, 5, 2])  # 5 of 6: 83 %
    evaluations_count_closed(now=NOW)
    figures = selectors.teachers(2026, now=NOW)
    rates = {row.teacher.pk: row.satisfaction_rate for row in figures.rows if row.rated}
    assert set(rates) == {poor["teacher"].pk, fair["teacher"].pk}
    assert rates[poor["teacher"].pk] < 60 <= 80 <= rates[fair["teacher"].pk] < 90
    buckets = {(b["low"], b["high"]): b["teachers"] for b in figures.distribution}
    assert buckets == {(0, 60): 1, (60, 80): 0, (80, 90): 1, (90, 95): 0, (95, 101): 0}
    assert [r.teacher for r in figures.rectification] == [poor["teacher"]]
    assert {r.teacher for r in figures.not_award_eligible} == {poor["teacher"], fair["teacher"]}
    trend = figures.category_trend[poor["teacher"].category]
    assert list(trend) == [2022, 2023, 2024, 2025, 2026]
    assert trend[2025] is None
    assert abs(trend[2026] - float(rates[poor["teacher"].pk] + rates[fair["teacher"].pk]) / 2) < 0.01

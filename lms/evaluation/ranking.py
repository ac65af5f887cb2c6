"""The organization department's yearly assessment: each pool teacher's year with flags from
DOMAIN.md, the annual composite score and the rank within their pool category.

Built from `results.counted_evaluations` (closed sessions with enough responses), in a fixed number of
queries however many teachers and answers. Rates are kept as counts and compared with the thresholds
exactly, so 59.9 % and 60 % fall on the right sides however they are rounded for display.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from lms.attendance.models import AttendanceRecord
from lms.attendance.selectors import year_bounds
from lms.evaluation.models import (
    RATING_SCALE,
    SATISFIED_FROM,
    AnswerTally,
    DepartmentScore,
    QuestionnaireKind,
    RatingQuestion,
    ScoringScheme,
)
from lms.evaluation.results import ONE_DECIMAL, counted_evaluations, percent
from lms.evaluation.services import EVALUATING_STATUSES
from lms.people.models import Teacher
from lms.scheduling.models import PUBLIC_STATUSES, TAUGHT_KINDS, Session

TREND_YEARS = 5

# --- Flags -----------------------------------------------------------------------------------------

NOT_AWARD_ELIGIBLE = "not_award_eligible"
RECTIFICATION = "rectification"
REMOVAL_RECOMMENDED = "removal_recommended"


def below(satisfied: int, rated: int, threshold_percent: int) -> bool:
    """Whether satisfied/rated is below threshold_percent, exactly (no rounding)."""
    return rated > 0 and satisfied * 100 < threshold_percent * rated


def satisfaction_flags(satisfied: int, rated: int, previous: tuple[int, int] | None = None) -> list[str]:
    """DOMAIN.md's thresholds: below 90 % no awards, below 60 % rectification, below 60 % two years in a
    row removal from the pool recommended. No answers, no flags."""
    flags = []
    if below(satisfied, rated, settings.EVALUATION_AWARD_MIN_RATE):
        flags.append(NOT_AWARD_ELIGIBLE)
    if below(satisfied, rated, settings.EVALUATION_RECTIFY_BELOW_RATE):
        flags.append(RECTIFICATION)
        if previous and below(*previous, settings.EVALUATION_RECTIFY_BELOW_RATE):
            flags.append(REMOVAL_RECOMMENDED)
    return flags


# --- The county ranking ----------------------------------------------------------------------------


def scoring_scheme(year: int) -> ScoringScheme:
    """The year's weights, or the defaults (unsaved) when the department has not set them."""
    return ScoringScheme.objects.filter(year=year).first() or ScoringScheme(year=year)


@dataclass
class RankingRow:
    teacher: Teacher
    year: int
    scheme: ScoringScheme
    sessions_taught: int = 0
    evaluations_counted: int = 0
    responses: int = 0
    eligible: int = 0
    satisfied: int = 0
    rated: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    review_score: Decimal | None = None
    trend: dict[int, Decimal | None] = field(default_factory=dict)
    previous: tuple[int, int] | None = None
    county_rate: Decimal | None = None
    rank: int | None = None

    @property
    def response_rate(self) -> Decimal | None:
        return percent(self.responses, self.eligible)

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return percent(self.satisfied, self.rated)

    @property
    def mean_rating(self) -> Decimal | None:
        if not self.rating_count:
            return None
        return (Decimal(self.rating_sum) / self.rating_count).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

    @property
    def vs_county(self) -> Decimal | None:
        """Percentage points above (+) or below (−) the county's satisfaction rate."""
        if self.satisfaction_rate is None or self.county_rate is None:
            return None
        return self.satisfaction_rate - self.county_rate

    @property
    def flags(self) -> list[str]:
        return satisfaction_flags(self.satisfied, self.rated, self.previous)

    @property
    def parts(self) -> dict[str, Decimal | None]:
        """Each part of the composite score, 0–100."""
        satisfaction = Decimal(self.satisfied) * 100 / self.rated if self.rated else None
        rating = (Decimal(self.rating_sum) / self.rating_count - 1) * 25 if self.rating_count else None
        sessions = min(Decimal(self.sessions_taught) / self.scheme.sessions_target, Decimal(1)) * 100
        return {
            "satisfaction": satisfaction,
            "rating": rating,
            "review": self.review_score,
            "sessions": sessions,
        }

    @property
    def missing_parts(self) -> list[str]:
        return [name for name, value in self.parts.items() if value is None and self.scheme.weights[name]]

    @property
    def composite(self) -> Decimal | None:
        """The weighted sum of the parts, out of 100; None until every weighted part is known."""
        if self.missing_parts:
            return None
        total = sum(
            (Decimal(weight) * (self.parts[name] or 0) for name, weight in self.scheme.weights.items()),
            Decimal(0),
        )
        return (total / 100).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _rating_type_id() -> int:
    return ContentType.objects.get_for_model(RatingQuestion, for_concrete_model=True).pk


def teacher_ranking(
    year: int, now: datetime | None = None, teachers: QuerySet | None = None
) -> list[RankingRow]:
    """Every teacher in the pool that year with their figures, composite score, flags and rank within
    their pool category (best first). A fixed number of queries, however many teachers and answers."""
    now = now or timezone.now()
    scheme = scoring_scheme(year)
    teachers = list(
        (teachers if teachers is not None else Teacher.objects.in_pool_during(year)).order_by(
            "category", "name", "pk"
        )
    )
    rows = {teacher.pk: RankingRow(teacher=teacher, year=year, scheme=scheme) for teacher in teachers}
    start, end = year_bounds(year)

    taught = (
        Session.objects.filter(
            teacher__in=rows,
            kind__in=TAUGHT_KINDS,
            training_class__status__in=PUBLIC_STATUSES,
            starts_at__gte=start,
            starts_at__lt=end,
            ends_at__lte=now,
        )
        .values("teacher")
        .annotate(total=Count("pk"))
    )
    for row in taught:
        rows[row["teacher"]].sessions_taught = row["total"]

    counted = counted_evaluations(year - TREND_YEARS + 1, year, now)
    this_year = counted.filter(session__starts_at__gte=start, session__starts_at__lt=end)
    for evaluation_row in this_year.filter(teacher__in=rows).values("teacher", "responses"):
        row = rows[evaluation_row["teacher"]]
        row.evaluations_counted += 1
        row.responses += evaluation_row["responses"]
    eligible = (
        AttendanceRecord.objects.filter(
            session__evaluation__in=this_year.values("pk"),
            session__evaluation__teacher__in=rows,
            status__in=EVALUATING_STATUSES,
        )
        .values("session__evaluation__teacher")
        .annotate(total=Count("pk"))
    )
    for row in eligible:
        rows[row["session__evaluation__teacher"]].eligible = row["total"]

    satisfaction_item = Q(question__ratingquestion__counts_for_satisfaction=True)
    rated_value = Q(value__gte=RATING_SCALE[0])
    tallies = (
        AnswerTally.objects.filter(
            evaluation__in=counted.values("pk"),
            question__questionnaire__kind=QuestionnaireKind.STANDARD,
            question__polymorphic_ctype_id=_rating_type_id(),
        )
        .annotate(year=ExtractYear("evaluation__session__starts_at"))
        .values("evaluation__teacher", "year")
        .annotate(
            satisfied=Sum("count", filter=satisfaction_item & Q(value__gte=SATISFIED_FROM)),
            rated=Sum("count", filter=satisfaction_item & rated_value),
            rating_sum=Sum(F("count") * F("value"), filter=rated_value),
            rating_count=Sum("count", filter=rated_value),
        )
    )
    by_teacher_year: dict[tuple[int, int], dict] = {}
    county = {"satisfied": 0, "rated": 0}
    for tally in tallies:
        by_teacher_year[(tally["evaluation__teacher"], tally["year"])] = tally
        if tally["year"] == year:
            county["satisfied"] += tally["satisfied"] or 0
            county["rated"] += tally["rated"] or 0
    county_rate = percent(county["satisfied"], county["rated"])

    scores = DepartmentScore.objects.filter(year=year, teacher__in=rows).values_list("teacher", "score")
    for teacher_id, score in scores:
        rows[teacher_id].review_score = score

    for teacher_id, row in rows.items():
        row.county_rate = county_rate
        this = by_teacher_year.get((teacher_id, year))
        if this:
            row.satisfied, row.rated = this["satisfied"] or 0, this["rated"] or 0
            row.rating_sum, row.rating_count = this["rating_sum"] or 0, this["rating_count"] or 0
        before = by_teacher_year.get((teacher_id, year - 1))
        if before and before["rated"]:
            row.previous = (before["satisfied"] or 0, before["rated"])
        for trend_year in range(year - TREND_YEARS + 1, year + 1):
            figures = by_teacher_year.get((teacher_id, trend_year))
            row.trend[trend_year] = (
                percent(figures["satisfied"] or 0, figures["rated"] or 0) if figures else None
            )

    ranked = sorted(
        rows.values(),
        key=lambda r: (
            r.teacher.category,
            r.composite is None,
            -(r.composite or 0),
            -(r.satisfaction_rate or 0),
            r.teacher.name,
        ),
    )
    for _category, group in _grouped(ranked):
        position = 0
        for row in group:
            if row.rated:
                position += 1
                row.rank = position
    return ranked


def _grouped(rows: list[RankingRow]):
    groups: dict[str, list[RankingRow]] = {}
    for row in rows:
        groups.setdefault(row.teacher.category, []).append(row)
    return groups.items()


def county_summary(rows: list[RankingRow]) -> dict:
    """The county's pooled figures for the report's header."""
    satisfied = sum(row.satisfied for row in rows)
    rated = sum(row.rated for row in rows)
    return {
        "teachers": sum(1 for row in rows if row.rated),
        "responses": sum(row.responses for row in rows),
        "satisfaction_rate": percent(satisfied, rated),
        "flagged_rectification": sum(1 for row in rows if RECTIFICATION in row.flags),
        "flagged_removal": sum(1 for row in rows if REMOVAL_RECOMMENDED in row.flags),
    }

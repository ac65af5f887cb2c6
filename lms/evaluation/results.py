"""Evaluation results, always aggregated: per session, per teacher and year, and the county ranking
with flags and the annual composite score.

Results are published once an evaluation has closed and only for units with at least
`EVALUATION_MIN_RESPONSES` responses. Yearly figures are built only from such sessions: a session
with three answers never enters any figure, so comparing a year's figures before and after it closed
cannot single anyone out.

Rates are kept as counts (satisfied, rated) and compared with the thresholds exactly, so 59.9 % and
60 % fall on the right sides however they are rounded for display.
"""

from collections import defaultdict
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
    NOT_APPLICABLE,
    RATING_SCALE,
    SATISFIED_FROM,
    AnswerTally,
    ChoiceQuestion,
    DepartmentScore,
    MultipleChoiceQuestion,
    Question,
    QuestionnaireKind,
    RatingQuestion,
    ScoringScheme,
    SessionEvaluation,
    TextAnswer,
)
from lms.evaluation.services import EVALUATING_STATUSES, evaluation_questions
from lms.people.models import Teacher
from lms.scheduling.models import PUBLIC_STATUSES, TAUGHT_KINDS, Session

TREND_YEARS = 5
ONE_DECIMAL = Decimal("0.1")


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def min_responses() -> int:
    return settings.EVALUATION_MIN_RESPONSES


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


# --- Per question ----------------------------------------------------------------------------------


@dataclass
class Step:
    value: int
    label: str
    count: int
    share: Decimal | None


@dataclass
class QuestionResult:
    question: Question
    type: str  # rating, single, multiple, text
    steps: list[Step] = field(default_factory=list)
    answered: int = 0  # ratings: answers other than "not applicable"; choices: selections
    not_applicable: int = 0
    rating_sum: int = 0
    satisfied: int = 0
    comments: list[str] = field(default_factory=list)

    @property
    def mean(self) -> Decimal | None:
        if self.type != "rating" or not self.answered:
            return None
        return (Decimal(self.rating_sum) / self.answered).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return percent(self.satisfied, self.answered) if self.type == "rating" else None

    @property
    def is_satisfaction_item(self) -> bool:
        return isinstance(self.question, RatingQuestion) and self.question.counts_for_satisfaction


def question_type(question: Question) -> str:
    if isinstance(question, RatingQuestion):
        return "rating"
    if isinstance(question, MultipleChoiceQuestion):
        return "multiple"
    if isinstance(question, ChoiceQuestion):
        return "single"
    return "text"


def question_result(
    question: Question, counts: dict[int, int], comments: list[str], responses: int
) -> QuestionResult:
    result = QuestionResult(question=question, type=question_type(question), comments=comments)
    if result.type == "rating":
        result.not_applicable = counts.get(NOT_APPLICABLE, 0)
        result.answered = sum(counts.get(value, 0) for value in RATING_SCALE)
        result.rating_sum = sum(value * counts.get(value, 0) for value in RATING_SCALE)
        result.satisfied = sum(counts.get(value, 0) for value in RATING_SCALE if value >= SATISFIED_FROM)
        result.steps = [
            Step(value, label, counts.get(value, 0), percent(counts.get(value, 0), result.answered))
            for value, label in question.steps()
        ]
    elif result.type in ("single", "multiple"):
        result.answered = sum(counts.values())
        # Shares of respondents (for multiple choice they add up to more than 100 %).
        result.steps = [
            Step(index, option, counts.get(index, 0), percent(counts.get(index, 0), responses))
            for index, option in enumerate(question.options)
        ]
    else:
        result.answered = len(comments)
    return result


# --- One session -----------------------------------------------------------------------------------


@dataclass
class SessionResult:
    evaluation: SessionEvaluation
    responses: int
    eligible: int
    is_closed: bool
    questions: list[QuestionResult]

    @property
    def response_rate(self) -> Decimal | None:
        return percent(self.responses, self.eligible)

    @property
    def is_shown(self) -> bool:
        return self.is_closed and self.responses >= min_responses()

    @property
    def min_responses(self) -> int:
        return min_responses()

    @property
    def satisfaction(self) -> QuestionResult | None:
        return next((q for q in self.questions if q.is_satisfaction_item), None)


def session_result(evaluation: SessionEvaluation, now: datetime | None = None) -> SessionResult:
    """A session's results (5 queries). Answers are included only when the result may be shown."""
    now = now or timezone.now()
    responses = evaluation.submissions.count()
    eligible = AttendanceRecord.objects.filter(
        session_id=evaluation.session_id, status__in=EVALUATING_STATUSES
    ).count()
    is_closed = now >= evaluation.closes_at
    shown = is_closed and responses >= min_responses()
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    comments: dict[int, list[str]] = defaultdict(list)
    if shown:
        for question_id, value, count in evaluation.tallies.values_list("question_id", "value", "count"):
            counts[question_id][value] = count
        # Ordered by the random key: the order says nothing about who or when.
        for question_id, text in evaluation.text_answers.order_by("pk").values_list("question_id", "text"):
            comments[question_id].append(text)
    questions = [
        question_result(question, counts[question.pk], comments[question.pk], responses)
        for question in evaluation_questions(evaluation)
    ]
    return SessionResult(evaluation, responses, eligible, is_closed, questions)


# --- Which evaluations count -----------------------------------------------------------------------


def counted_evaluations(first_year: int, last_year: int, now: datetime | None = None) -> QuerySet:
    """Evaluations that enter yearly figures: closed, with enough responses, of sessions in the years."""
    now = now or timezone.now()
    start, _end = year_bounds(first_year)
    _start, end = year_bounds(last_year)
    return (
        SessionEvaluation.objects.filter(
            closes_at__lte=now, session__starts_at__gte=start, session__starts_at__lt=end
        )
        .annotate(responses=Count("submissions"))
        .filter(responses__gte=min_responses())
    )


# --- A teacher's year ------------------------------------------------------------------------------


@dataclass
class TeacherYearResult:
    teacher: Teacher
    year: int
    evaluations: list[SessionEvaluation]
    responses: int
    eligible: int
    questions: list[QuestionResult]  # the standard form's questions, combined across versions by code

    @property
    def response_rate(self) -> Decimal | None:
        return percent(self.responses, self.eligible)

    @property
    def is_shown(self) -> bool:
        return self.responses >= min_responses()

    @property
    def satisfaction(self) -> QuestionResult | None:
        return next((q for q in self.questions if q.is_satisfaction_item), None)


def _question_key(question: Question):
    return question.code or f"#{question.pk}"


def teacher_year_result(teacher: Teacher, year: int, now: datetime | None = None) -> TeacherYearResult:
    """A teacher's year on the standard form: every counted session pooled, questions matched across
    versions by their code (the latest version's wording shown)."""
    evaluations = list(
        counted_evaluations(year, year, now)
        .filter(teacher=teacher)
        .select_related("session__training_class__school")
        .order_by("session__starts_at")
    )
    ids = [evaluation.pk for evaluation in evaluations]
    responses = sum(evaluation.responses for evaluation in evaluations)
    eligible = AttendanceRecord.objects.filter(
        session__evaluation__in=ids, status__in=EVALUATING_STATUSES
    ).count()
    questions: dict[str, Question] = {}
    for question in Question.objects.filter(
        questionnaire__kind=QuestionnaireKind.STANDARD,
        questionnaire_id__in={evaluation.standard_form_id for evaluation in evaluations},
    ).order_by("questionnaire__version", "sort_order"):
        questions[_question_key(question)] = question  # later versions override the wording
    ids_to_key = {}
    for question in Question.objects.filter(
        questionnaire_id__in={evaluation.standard_form_id for evaluation in evaluations}
    ).only("id", "code"):
        ids_to_key[question.pk] = _question_key(question)
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for question_id, value, count in (
        AnswerTally.objects.filter(evaluation__in=ids, question_id__in=ids_to_key)
        .values("question_id", "value")
        .annotate(total=Sum("count"))
        .values_list("question_id", "value", "total")
    ):
        counts[ids_to_key[question_id]][value] += count
    comments: dict[str, list[str]] = defaultdict(list)
    for question_id, text in (
        TextAnswer.objects.filter(evaluation__in=ids, question_id__in=ids_to_key)
        .order_by("pk")
        .values_list("question_id", "text")
    ):
        comments[ids_to_key[question_id]].append(text)
    ordered = sorted(questions.items(), key=lambda item: item[1].sort_order)
    results = [question_result(question, counts[key], comments[key], responses) for key, question in ordered]
    return TeacherYearResult(teacher, year, evaluations, responses, eligible, results)


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

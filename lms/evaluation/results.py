"""Evaluation results, always aggregated: per question, per session and per teacher and year (the
county ranking is in ranking.py).

Results are published once an evaluation has closed and its sealed ballots have been counted (see
counting.py), and only for units with at least
`EVALUATION_MIN_RESPONSES` responses. Yearly figures are built only from such sessions: a session
with three answers never enters any figure, so comparing a year's figures before and after it closed
cannot single anyone out.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from lms.attendance.models import AttendanceRecord
from lms.attendance.selectors import year_bounds
from lms.evaluation.models import (
    NOT_APPLICABLE,
    RATING_SCALE,
    SATISFIED_FROM,
    AnswerTally,
    ChoiceQuestion,
    MultipleChoiceQuestion,
    Question,
    QuestionnaireKind,
    RatingQuestion,
    SessionEvaluation,
    TextAnswer,
)
from lms.evaluation.selectors import sealed_ballots
from lms.evaluation.services import EVALUATING_STATUSES, evaluation_questions
from lms.people.models import Teacher

ONE_DECIMAL = Decimal("0.1")


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def min_responses() -> int:
    return settings.EVALUATION_MIN_RESPONSES


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
    is_counted: bool = True  # no ballot of it waits in the box

    @property
    def response_rate(self) -> Decimal | None:
        return percent(self.responses, self.eligible)

    @property
    def is_counting(self) -> bool:
        """Closed, and the sweep has not counted its ballots yet."""
        return self.is_closed and not self.is_counted

    @property
    def is_shown(self) -> bool:
        return self.is_closed and self.is_counted and self.responses >= min_responses()

    @property
    def min_responses(self) -> int:
        return min_responses()

    @property
    def satisfaction(self) -> QuestionResult | None:
        return next((q for q in self.questions if q.is_satisfaction_item), None)


def session_result(evaluation: SessionEvaluation, now: datetime | None = None) -> SessionResult:
    """A session's results (6 queries). Answers are included only when the result may be shown."""
    now = now or timezone.now()
    responses = evaluation.submissions.count()
    eligible = AttendanceRecord.objects.filter(
        session_id=evaluation.session_id, status__in=EVALUATING_STATUSES
    ).count()
    is_closed = now >= evaluation.closes_at
    is_counted = not evaluation.ballots.exists()
    shown = is_closed and is_counted and responses >= min_responses()
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
    return SessionResult(evaluation, responses, eligible, is_closed, questions, is_counted)


# --- Which evaluations count -----------------------------------------------------------------------


def counted_evaluations(first_year: int, last_year: int, now: datetime | None = None) -> QuerySet:
    """Evaluations that enter yearly figures: closed and counted, with enough responses, of sessions in
    the years."""
    now = now or timezone.now()
    start, _end = year_bounds(first_year)
    _start, end = year_bounds(last_year)
    return (
        SessionEvaluation.objects.filter(
            closes_at__lte=now, session__starts_at__gte=start, session__starts_at__lt=end
        )
        .filter(~sealed_ballots())
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


def satisfaction_rates(evaluation_ids: list[int]) -> dict[int, Decimal | None]:
    """Each evaluation's satisfaction rate (its standard form's satisfaction item), in one query."""
    if not evaluation_ids:
        return {}
    rows = (
        AnswerTally.objects.filter(
            evaluation__in=evaluation_ids,
            question__questionnaire_id=F("evaluation__standard_form_id"),
            question__ratingquestion__counts_for_satisfaction=True,
            value__gte=RATING_SCALE[0],
        )
        .values("evaluation_id")
        .annotate(satisfied=Sum("count", filter=Q(value__gte=SATISFIED_FROM)), rated=Sum("count"))
    )
    return {row["evaluation_id"]: percent(row["satisfied"] or 0, row["rated"] or 0) for row in rows}

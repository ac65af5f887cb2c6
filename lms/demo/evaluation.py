"""The demo county's teacher evaluations: every taught session that has ended gets its evaluation, as
`lms.evaluation.services.evaluation_open` opens it; most members who were there have answered; the
organization department has entered its review scores and the composite weights.

Answers are written in bulk, as `evaluation_submit` would leave them but without its ~15 queries per
answer sheet: a `Submission` per respondent, the counts computed here and written into the zero
counters the opening created, and comments shuffled before they go in (so their row order follows no
member). Each evaluation draws from its own seeded generator, and evaluations that have any answer are
left alone, so a second run adds nothing.

Teachers have a quality profile so that every report has something to show: most are 85–98 %
satisfied, a few 70–89 %; one teacher who taught in both years is below 60 % in both (removal
recommended), another falls below 60 % only this year (rectification). member1 never answers an
evaluation that is still open, so there is one to answer in the browser.
"""

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils import timezone

from lms.attendance.models import AttendanceRecord
from lms.demo import people
from lms.evaluation import services
from lms.evaluation.models import (
    NOT_APPLICABLE,
    SATISFIED_FROM,
    AnswerTally,
    DepartmentScore,
    MultipleChoiceQuestion,
    Question,
    Questionnaire,
    QuestionnaireKind,
    QuestionnaireStatus,
    RatingQuestion,
    ScoringScheme,
    SessionEvaluation,
    SingleChoiceQuestion,
    Submission,
    TextAnswer,
    TextQuestion,
)
from lms.people.models import Member, Teacher
from lms.scheduling.models import PUBLIC_STATUSES, TAUGHT_KINDS, Session

BATCH = 2000
CLOSED_RATE = (0.70, 0.90)  # share of those present or late who answered a closed evaluation
OPEN_RATE = (0.35, 0.60)  # …and of an evaluation still open, so far
HARDLY_ANSWERED_SHARE = 0.03  # closed evaluations with too few answers to show (teachers with others)
NO_COMMENTS_SHARE = 0.3  # evaluations nobody commented on
COMMENT_RATE = (0.05, 0.20)  # share of respondents who comment, where anyone does
NOT_APPLICABLE_RATE = 0.02  # "not applicable" to the relevance question
FAIR_SHARE = 0.15  # teachers in the 70–89 % band; the others are 85–98 %
UNSCORED_SHARE = 0.06  # teachers the department has not reviewed yet this year

GOOD, FAIR, POOR = "good", "fair", "poor"
SATISFACTION = {GOOD: (0.88, 0.98), FAIR: (0.72, 0.87), POOR: (0.40, 0.55)}
FIVE_OF_SATISFIED = {GOOD: 0.65, FAIR: 0.45, POOR: 0.35}  # share of 5 among the 4s and 5s
BELOW_FOUR = {GOOD: (60, 30, 10), FAIR: (60, 30, 10), POOR: (45, 35, 20)}  # weights of 3, 2, 1
REVIEW_SCORE = {GOOD: (84, 97), FAIR: (74, 88), POOR: (58, 70)}
POOR_CEILING = 0.57  # a poor teacher's sessions stay below 60 % however few answered

# The comment box, by what the respondent thought overall. Data, in the county's language.
COMMENTS_PRAISE = (
    "老师讲得很透彻，理论联系实际，听了很受启发。",
    "案例贴近我们村里的实际情况，回去就能用上。",
    "课件制作精美，重点突出，条理清楚。",
    "老师准备充分，语言生动，一点也不枯燥。",
    "讲解深入浅出，我们农村党员也听得懂。",
    "内容充实，对做好基层工作很有指导意义。",
    "希望以后多安排这样的好课。",
    "老师结合自己的工作经历讲，很有说服力。",
    "听完对党章有了更深的理解，收获很大。",
    "现场教学形式很好，比坐在教室里听印象深刻。",
    "老师很有激情，带动了大家的学习积极性。",
    "课堂互动多，大家都愿意发言。",
    "讲的政策很新，正是我们需要了解的。",
    "身边的榜样讲身边的事，很受感动。",
    "时间安排合理，讲得不拖沓。",
    "老师耐心解答我们提出的问题，非常感谢。",
    "这堂课让我进一步明确了党员的责任和义务。",
    "讲得好，建议把课件发给大家回去再学习。",
    "内容实用，特别是产业发展的经验值得借鉴。",
    "老师讲得通俗易懂，举的例子都是身边的事。",
    "很好的一课，受教育了。",
    "感谢老师的精彩授课！",
)
COMMENTS_SUGGESTIONS = (
    "内容很好，但时间有点紧，希望多留些时间讨论。",
    "建议多讲一些具体案例，少念稿子。",
    "后排听不太清楚，建议使用扩音设备。",
    "希望能结合我们镇的产业多讲一些。",
    "建议课后提供学习资料，方便回去复习。",
    "PPT字太小，坐在后面看不清。",
    "希望增加互动环节，让学员多交流。",
    "理论部分偏多，实际操作的内容可以再多一些。",
    "建议把课程安排在农闲时节，方便大家参加。",
    "讲得不错，就是语速有点快。",
)
COMMENTS_CRITICISM = (
    "照本宣科，和我们的实际工作联系不够。",
    "内容比较空泛，没有听到具体的做法。",
    "老师迟到了十几分钟，课程被压缩了。",
    "讲得太快，很多内容没有听明白。",
    "课件内容陈旧，有些政策已经变了。",
    "互动太少，一直在念稿子。",
    "与课程题目关系不大，跑题较多。",
    "希望换一位更熟悉基层情况的老师。",
)


@dataclass
class EvaluationResult:
    opened: int = 0
    answered: int = 0  # evaluations given answers this run
    submissions: int = 0
    comments: int = 0
    scores: int = 0
    seconds: float = 0.0
    removal_teacher: Teacher | None = None  # below 60 % last year and this year
    rectify_teacher: Teacher | None = None  # below 60 % this year only
    member1_to_answer: list[Session] = field(default_factory=list)


def _rng(*parts) -> random.Random:
    return random.Random("-".join(str(part) for part in ("evaluation", *parts)))  # noqa: S311 (made-up answers)


def _local_year(moment: datetime) -> int:
    return timezone.localtime(moment).year


# --- Opening ---------------------------------------------------------------------------------------


def _questions_in_order(evaluation: SessionEvaluation, by_form: dict[int, list[Question]]) -> list[Question]:
    """As `services.evaluation_questions`: the standard questions, then the school's own."""
    questions = by_form.get(evaluation.standard_form_id, []) + by_form.get(evaluation.school_form_id, [])
    return sorted(
        questions, key=lambda q: (q.questionnaire_id != evaluation.standard_form_id, q.sort_order, q.pk)
    )


def _questions_by_form(form_ids) -> dict[int, list[Question]]:
    by_form: dict[int, list[Question]] = defaultdict(list)
    for question in Question.objects.filter(questionnaire_id__in=set(form_ids)).order_by("sort_order", "id"):
        by_form[question.questionnaire_id].append(question)
    return by_form


def evaluations_open(now: datetime) -> int:
    """Open the evaluation of every evaluated session that has ended and has none, with the same rows
    `services.evaluation_open(session=…, now=session.ends_at)` writes, in a few bulk inserts."""
    standard = services.active_form()
    if standard is None:
        return 0
    sessions = list(
        Session.objects.filter(
            ends_at__lte=now,
            kind__in=TAUGHT_KINDS,
            teacher__isnull=False,
            training_class__status__in=PUBLIC_STATUSES,
            evaluation__isnull=True,
        )
        .select_related("training_class")
        .order_by("ends_at", "pk")
    )
    if not sessions:
        return 0
    school_forms = {
        form.school_id: form
        for form in Questionnaire.objects.filter(
            kind=QuestionnaireKind.SCHOOL,
            status=QuestionnaireStatus.ACTIVE,
            school_id__in={session.training_class.school_id for session in sessions},
        )
    }
    open_for = timedelta(days=settings.EVALUATION_OPEN_DAYS)
    evaluations = [
        SessionEvaluation(
            session=session,
            teacher_id=session.teacher_id,
            standard_form=standard,
            school_form=school_forms.get(session.training_class.school_id),
            opens_at=session.ends_at,
            closes_at=session.ends_at + open_for,
        )
        for session in sessions
    ]
    SessionEvaluation.objects.bulk_create(evaluations, batch_size=BATCH)
    by_form = _questions_by_form([standard.pk, *(form.pk for form in school_forms.values())])
    AnswerTally.objects.bulk_create(
        (
            AnswerTally(evaluation_id=evaluation.pk, question_id=question.pk, value=value)
            for evaluation in evaluations
            for question in _questions_in_order(evaluation, by_form)
            for value in services._tally_values(question)  # the very counters the service creates
        ),
        batch_size=BATCH,
    )
    return len(evaluations)


# --- Teacher profiles ------------------------------------------------------------------------------


@dataclass
class Profiles:
    """Each teacher's quality band per year, and the satisfied share aimed at."""

    seed: int
    teacher1_id: int | None
    special: dict[tuple[int, int], tuple[str, float]] = field(default_factory=dict)

    def band(self, teacher_id: int) -> str:
        if teacher_id == self.teacher1_id:
            return GOOD
        return FAIR if _rng("band", self.seed, teacher_id).random() < FAIR_SHARE else GOOD

    def target(self, teacher_id: int, year: int) -> tuple[str, float]:
        """(band, satisfied share) of a teacher's sessions in a year."""
        if (teacher_id, year) in self.special:
            return self.special[teacher_id, year]
        band = self.band(teacher_id)
        low, high = SATISFACTION[band]
        base = _rng("level", self.seed, teacher_id).uniform(low, high)
        drift = _rng("drift", self.seed, teacher_id, year).uniform(-0.02, 0.02)
        return band, min(high, max(low, base + drift))


def _countable(evaluations: list[SessionEvaluation], eligible: dict[int, list[int]], now: datetime):
    """Closed sessions per (teacher, year) with enough members present to be shown."""
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for evaluation in evaluations:
        enough = len(eligible.get(evaluation.session_id, ())) >= settings.EVALUATION_MIN_RESPONSES
        if evaluation.closes_at <= now and enough:
            counts[evaluation.teacher_id, _local_year(evaluation.session.starts_at)] += 1
    return counts


def profiles_make(
    seed: int, evaluations: list[SessionEvaluation], eligible: dict[int, list[int]], now: datetime
) -> tuple[Profiles, int | None, int | None]:
    """Profiles, with the teacher to flag for removal and the one to flag for rectification picked
    among those whose sessions can be shown in both years (the most sessions first)."""
    teacher1 = Teacher.objects.filter(phone=people.TEACHER1_PHONE).values_list("pk", flat=True).first()
    profiles = Profiles(seed, teacher1)
    this_year = _local_year(now)
    last_year = this_year - 1
    countable = _countable(evaluations, eligible, now)
    teachers = {teacher for teacher, _year in countable} - {teacher1}
    both = sorted(
        (t for t in teachers if countable.get((t, last_year)) and countable.get((t, this_year))),
        key=lambda t: (-min(countable[t, last_year], countable[t, this_year]), -countable[t, this_year], t),
    )
    removal = both[0] if both else None
    others = both[1:] or sorted(
        (t for t in teachers if t != removal and countable.get((t, this_year))),
        key=lambda t: (-countable[t, this_year], t),
    )
    rectify = others[0] if others else None
    if removal is not None:
        profiles.special[removal, last_year] = (POOR, 0.48)
        profiles.special[removal, this_year] = (POOR, 0.52)
    if rectify is not None:
        profiles.special[rectify, last_year] = (FAIR, 0.82)
        profiles.special[rectify, this_year] = (POOR, 0.50)
    return profiles, removal, rectify


# --- Answers ---------------------------------------------------------------------------------------


def _overall_ratings(rng: random.Random, band: str, share: float, responses: int) -> list[int]:
    """The overall satisfaction ratings of a session: the satisfied share as aimed, shuffled."""
    if band == POOR:
        share = min(share + rng.gauss(0, 0.04), POOR_CEILING)
        satisfied = math.floor(share * responses)  # strictly below 60 %, even for five answers
    else:
        low, _high = SATISFACTION[band]
        share = min(1.0, max(low - 0.1, share + rng.gauss(0, 0.03)))
        satisfied = round(share * responses)
    five = FIVE_OF_SATISFIED[band]
    ratings = [5 if rng.random() < five else 4 for _ in range(satisfied)]
    ratings += rng.choices((3, 2, 1), weights=BELOW_FOUR[band], k=responses - satisfied)
    rng.shuffle(ratings)
    return ratings


def _answer_sheet(
    rng: random.Random, questions: list[Question], overall: int, comment_rate: float, standard_id
):
    """One respondent's answers: {question: value or [values] or text}, coherent with `overall`."""
    sheet = {}
    for question in questions:
        if isinstance(question, RatingQuestion):
            if question.counts_for_satisfaction:
                sheet[question] = overall
            elif question.allow_not_applicable and rng.random() < NOT_APPLICABLE_RATE:
                sheet[question] = NOT_APPLICABLE
            else:
                sheet[question] = min(5, max(1, overall + rng.choices((-1, 0, 1), weights=(2, 6, 2))[0]))
        elif isinstance(question, MultipleChoiceQuestion):
            options = range(len(question.options))
            sheet[question] = rng.sample(options, rng.randint(1, min(2, len(options))))
        elif isinstance(question, SingleChoiceQuestion):
            sheet[question] = rng.randrange(len(question.options))
        elif (
            isinstance(question, TextQuestion)
            and question.questionnaire_id == standard_id
            and rng.random() < comment_rate
        ):
            if overall >= SATISFIED_FROM:
                pool = COMMENTS_SUGGESTIONS if rng.random() < 0.25 else COMMENTS_PRAISE
            else:
                pool = COMMENTS_SUGGESTIONS if overall == 3 else COMMENTS_CRITICISM
            sheet[question] = rng.choice(pool)
    return sheet


@dataclass
class Answers:
    submissions: list[Submission] = field(default_factory=list)
    counts: dict[tuple[int, int, int], int] = field(default_factory=lambda: defaultdict(int))
    comments: list[TextAnswer] = field(default_factory=list)


def _respondents(rng, evaluation, members: list[int], now, member1_id, teacher_has_others) -> list[int]:
    closed = evaluation.closes_at <= now
    pool = members if closed else [m for m in members if m != member1_id]
    responses = round(len(pool) * rng.uniform(*(CLOSED_RATE if closed else OPEN_RATE)))
    minimum = settings.EVALUATION_MIN_RESPONSES
    if closed and teacher_has_others and rng.random() < HARDLY_ANSWERED_SHARE:
        responses = min(responses, rng.randint(2, minimum - 1))
    elif closed:
        responses = max(responses, min(len(pool), minimum))  # a small group answers in full
    return rng.sample(pool, responses)


def answers_make(
    seed: int,
    evaluations: list[SessionEvaluation],
    eligible: dict[int, list[int]],
    profiles: Profiles,
    now: datetime,
    member1_id: int | None,
    by_form: dict[int, list[Question]],
) -> Answers:
    answers = Answers()
    per_teacher_year: dict[tuple[int, int], int] = defaultdict(int)
    for evaluation in evaluations:
        per_teacher_year[evaluation.teacher_id, _local_year(evaluation.session.starts_at)] += 1
    for evaluation in evaluations:
        rng = _rng(seed, evaluation.session_id)
        year = _local_year(evaluation.session.starts_at)
        band, share = profiles.target(evaluation.teacher_id, year)
        special = band == POOR or evaluation.teacher_id == profiles.teacher1_id
        has_others = not special and per_teacher_year[evaluation.teacher_id, year] >= 3
        members = _respondents(
            rng, evaluation, eligible.get(evaluation.session_id, []), now, member1_id, has_others
        )
        if not members:
            continue
        questions = _questions_in_order(evaluation, by_form)
        comment_rate = 0.0 if rng.random() < NO_COMMENTS_SHARE else rng.uniform(*COMMENT_RATE)
        texts: dict[int, list[str]] = defaultdict(list)
        for member_id, overall in zip(members, _overall_ratings(rng, band, share, len(members)), strict=True):
            answers.submissions.append(Submission(evaluation_id=evaluation.pk, member_id=member_id))
            sheet = _answer_sheet(rng, questions, overall, comment_rate, evaluation.standard_form_id)
            for question, value in sheet.items():
                if isinstance(value, str):
                    texts[question.pk].append(value)
                else:
                    for one in value if isinstance(value, list) else [value]:
                        answers.counts[evaluation.pk, question.pk, one] += 1
        for question_id, comments in texts.items():
            rng.shuffle(comments)  # the rows' order follows no respondent
            answers.comments += [
                TextAnswer(evaluation_id=evaluation.pk, question_id=question_id, text=text)
                for text in comments
            ]
    return answers


def answers_write(answers: Answers) -> None:
    """Submissions and comments inserted, the counts written into the evaluations' zero counters."""
    Submission.objects.bulk_create(answers.submissions, batch_size=BATCH)
    evaluation_ids = {evaluation_id for evaluation_id, _question, _value in answers.counts}
    tallies = []
    for pk, evaluation_id, question_id, value in AnswerTally.objects.filter(
        evaluation_id__in=evaluation_ids
    ).values_list("pk", "evaluation_id", "question_id", "value"):
        count = answers.counts.pop((evaluation_id, question_id, value), 0)
        if count:
            tallies.append(AnswerTally(pk=pk, count=count))
    if answers.counts:  # an answer without its counter: the evaluation was not opened as the service does
        raise ValueError(f"No counter for {next(iter(answers.counts))} (evaluation, question, value)")
    AnswerTally.objects.bulk_update(tallies, ["count"], batch_size=BATCH)
    TextAnswer.objects.bulk_create(answers.comments, batch_size=BATCH)


# --- The department's part -------------------------------------------------------------------------


def department_ensure(seed: int, profiles: Profiles, now: datetime) -> int:
    """Review scores for every teacher who taught last year and most who taught this year (a few are
    still to be reviewed), and the composite weights (the defaults) of both years."""
    orgdept = get_user_model().objects.filter(username="orgdept").first()
    this_year = _local_year(now)
    years = (this_year - 1, this_year)
    for year in years:
        ScoringScheme.objects.get_or_create(year=year, defaults={"updated_by": orgdept})
    taught = set()
    for teacher_id, starts_at in Session.objects.filter(
        ends_at__lte=now,
        kind__in=TAUGHT_KINDS,
        teacher__isnull=False,
        training_class__status__in=PUBLIC_STATUSES,
    ).values_list("teacher_id", "starts_at"):
        year = _local_year(starts_at)
        if year in years:
            taught.add((teacher_id, year))
    existing = set(DepartmentScore.objects.filter(year__in=years).values_list("teacher_id", "year"))
    scores = []
    for teacher_id, year in sorted(taught - existing):
        rng = _rng("review", seed, teacher_id, year)
        band, _share = profiles.target(teacher_id, year)
        unscored = rng.random() < UNSCORED_SHARE
        if year == this_year and unscored and band != POOR and teacher_id != profiles.teacher1_id:
            continue
        low, high = REVIEW_SCORE[band]
        score = Decimal(round(rng.uniform(low, high) * 2)) / 2
        scores.append(DepartmentScore(teacher_id=teacher_id, year=year, score=score, entered_by=orgdept))
    DepartmentScore.objects.bulk_create(scores, batch_size=BATCH)
    return len(scores)


# --- All of it -------------------------------------------------------------------------------------


def evaluations_ensure(seed: int, now: datetime) -> EvaluationResult:
    """Open what has ended, answer what nobody has answered yet, and the department's scores."""
    result = EvaluationResult()
    result.opened = evaluations_open(now)
    evaluations = list(
        SessionEvaluation.objects.filter(opens_at__lte=now)
        .select_related("session")
        .annotate(answered=Exists(Submission.objects.filter(evaluation=OuterRef("pk"))))
        .order_by("session__starts_at", "session_id")
    )
    eligible: dict[int, list[int]] = defaultdict(list)
    for session_id, member_id in (
        AttendanceRecord.objects.filter(
            session__evaluation__opens_at__lte=now, status__in=services.EVALUATING_STATUSES
        )
        .order_by("session_id", "member_id")
        .values_list("session_id", "member_id")
    ):
        eligible[session_id].append(member_id)
    profiles, removal, rectify = profiles_make(seed, evaluations, eligible, now)
    result.removal_teacher = Teacher.objects.filter(pk=removal).first() if removal else None
    result.rectify_teacher = Teacher.objects.filter(pk=rectify).first() if rectify else None
    member1_id = (
        Member.objects.filter(phone=people.MEMBER_PHONE.format(1)).values_list("pk", flat=True).first()
    )
    unanswered = [evaluation for evaluation in evaluations if not evaluation.answered]
    by_form = _questions_by_form(
        {e.standard_form_id for e in unanswered} | {e.school_form_id for e in unanswered if e.school_form_id}
    )
    answers = answers_make(seed, unanswered, eligible, profiles, now, member1_id, by_form)
    answers_write(answers)
    result.answered = len({submission.evaluation_id for submission in answers.submissions})
    result.submissions, result.comments = len(answers.submissions), len(answers.comments)
    result.scores = department_ensure(seed, profiles, now)
    if member1_id is not None:
        result.member1_to_answer = list(
            Session.objects.filter(
                evaluation__closes_at__gt=now,
                attendance__member_id=member1_id,
                attendance__status__in=services.EVALUATING_STATUSES,
            )
            .exclude(evaluation__submissions__member_id=member1_id)
            .order_by("ends_at")
        )
    return result

"""Quizzes and theory exams (测验与理论考试).

- The question bank: `Category` (a course module and topic) and polymorphic `Question`s (single choice,
  multiple choice, true/false, fill in the blank, essay). A bank belongs to a school: no school is the
  county bank (kept by the city school and the organization department), a township school keeps its own.
  A question that has been put to anyone is frozen; editing it makes a new version (`previous`).
- `Paper` (试卷): fixed questions and random draws (`PaperPart`), points, pass mark, time limit, attempts,
  review policy; used after a class session, as an exam session, or as a lesson check.
- `Attempt`: one member's sitting of a paper, with its deadline fixed by the server at the start, and one
  `AttemptQuestion` per question drawn (the member's own order of questions and options, the saved answer,
  and its marks). Essays get `EssayMark`s from the paper's teachers, blind.
"""

import unicodedata
import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from polymorphic.models import PolymorphicModel

# --- The bank -------------------------------------------------------------------------------------


class Module(models.TextChoices):
    GENERAL = "general", _("General education")
    PROFESSIONAL = "professional", _("Professional education")
    THEMATIC = "thematic", _("Thematic education")


class Difficulty(models.TextChoices):
    EASY = "easy", _("Easy")
    MEDIUM = "medium", _("Medium")
    HARD = "hard", _("Hard")


class Category(models.Model):
    """A topic of the bank under one of the three course modules (e.g. 专题教育 · 党史)."""

    module = models.CharField(_("module"), max_length=16, choices=Module.choices)
    name = models.CharField(_("topic"), max_length=100)

    class Meta:
        verbose_name = _("question category")
        verbose_name_plural = _("question categories")
        ordering = ["module", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["module", "name"],
                name="quiz_category_unique",
                violation_error_message=_("This topic already exists in this module."),
            ),
            models.CheckConstraint(
                condition=Q(module__in=Module.values),
                name="quiz_category_module_valid",
                violation_error_message=_("This is not a valid course module."),
            ),
        ]

    def __str__(self):
        return f"{self.get_module_display()} · {self.name}"


def normalise_text(value: str) -> str:
    """Full-width and half-width forms alike (NFKC), no spaces of any width, case ignored."""
    value = unicodedata.normalize("NFKC", str(value))
    return "".join(value.split()).casefold()


def _points(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Question(PolymorphicModel):
    """One question of a bank. Subclasses check an answer (`clean_response`) and mark it (`fraction`:
    the share of the points earned, 0–1, or None when a person must mark it)."""

    type_code = ""
    type_label = _("Question")

    school = models.ForeignKey(
        "wagtailcore.Page",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quiz_questions",
        verbose_name=_("bank"),
        help_text=_("Empty: the county bank."),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="questions", verbose_name=_("category")
    )
    difficulty = models.CharField(
        _("difficulty"), max_length=8, choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    text = models.TextField(_("question"), max_length=2000)
    explanation = models.TextField(_("explanation"), max_length=2000, blank=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
        verbose_name=_("replaces"),
    )
    is_current = models.BooleanField(_("current version"), default=True)
    frozen = models.BooleanField(
        _("frozen"), default=False, help_text=_("Put to someone: edits make a new version.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["category", "id"]
        indexes = [models.Index(fields=["category", "difficulty", "is_current"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(difficulty__in=Difficulty.values),
                name="quiz_question_difficulty_valid",
                violation_error_message=_("This is not a valid difficulty."),
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1),
                name="quiz_question_version_positive",
                violation_error_message=_("Versions start at 1."),
            ),
        ]

    def __str__(self):
        return self.text[:60]

    # Subclasses override these three.
    def clean_response(self, raw):
        """The stored form of an answer (options by their positions in `options`), or ValidationError."""
        raise NotImplementedError

    def fraction(self, response) -> Decimal | None:
        raise NotImplementedError

    def correct_display(self) -> str:
        """The correct answer in words (shown only at review)."""
        raise NotImplementedError

    @property
    def options_list(self) -> list[str]:
        return list(getattr(self, "options", None) or [])

    @property
    def needs_person(self) -> bool:
        return False

    def copy_fields(self) -> dict:
        """The fields a new version starts from."""
        names = [
            f.attname
            for f in self._meta.concrete_fields
            if not f.primary_key and not f.name.endswith("_ptr") and f.name != "polymorphic_ctype"
        ]
        return {name: getattr(self, name) for name in names}


def _invalid(message) -> ValidationError:
    return ValidationError(message, code="invalid")


class ChoiceMixin(models.Model):
    options = models.JSONField(_("options"), default=list)

    class Meta:
        abstract = True

    def clean_options(self):
        if not isinstance(self.options, list) or not 2 <= len(self.options) <= 10:
            raise ValidationError({"options": _("Give between two and ten options.")})
        texts = [str(option).strip() for option in self.options]
        if any(not text for text in texts):
            raise ValidationError({"options": _("No option may be empty.")})
        if len(set(texts)) != len(texts):
            raise ValidationError({"options": _("Each option must differ from the others.")})

    def option_index(self, raw) -> int:
        if isinstance(raw, bool):
            raise _invalid(_("Unknown option."))
        try:
            index = int(raw)
        except (TypeError, ValueError):
            raise _invalid(_("Unknown option.")) from None
        if not 0 <= index < len(self.options):
            raise _invalid(_("Unknown option."))
        return index


def letters(indexes) -> str:
    return "".join(chr(ord("A") + i) for i in sorted(indexes))


class SingleChoiceQuestion(ChoiceMixin, Question):
    type_code = "single"
    type_label = _("Single choice")

    correct = models.PositiveSmallIntegerField(_("correct option (from 0)"), default=0)

    class Meta:
        verbose_name = _("single-choice question")
        verbose_name_plural = _("single-choice questions")

    def clean(self):
        self.clean_options()
        if self.correct >= len(self.options):
            raise ValidationError({"correct": _("The correct option must be one of the options.")})

    def clean_response(self, raw):
        if raw is None or raw == "":
            return None
        return self.option_index(raw)

    def fraction(self, response):
        return Decimal(1) if response == self.correct else Decimal(0)

    def correct_display(self):
        return f"{letters([self.correct])}. {self.options[self.correct]}"


class MultipleChoiceQuestion(ChoiceMixin, Question):
    type_code = "multiple"
    type_label = _("Multiple choice")

    correct = models.JSONField(_("correct options (from 0)"), default=list)
    partial_credit = models.BooleanField(
        _("partial credit"),
        default=False,
        help_text=_(
            "Each correct option chosen earns its share, each wrong one takes a share away (never below "
            "zero). Otherwise only the exact set earns the points."
        ),
    )

    class Meta:
        verbose_name = _("multiple-choice question")
        verbose_name_plural = _("multiple-choice questions")

    def clean(self):
        self.clean_options()
        if (
            not isinstance(self.correct, list)
            or not self.correct
            or any(isinstance(i, bool) or not isinstance(i, int) for i in self.correct)
            or any(not 0 <= i < len(self.options) for i in self.correct)
            or len(set(self.correct)) != len(self.correct)
        ):
            raise ValidationError({"correct": _("Mark at least one of the options as correct.")})

    def clean_response(self, raw):
        if raw is None or raw == "" or raw == []:
            return None
        if not isinstance(raw, list):
            raw = [raw]
        chosen = sorted({self.option_index(item) for item in raw})
        return chosen

    def fraction(self, response):
        chosen = set(response or [])
        correct = set(self.correct)
        if not self.partial_credit:
            return Decimal(1) if chosen == correct else Decimal(0)
        right = len(chosen & correct)
        wrong = len(chosen - correct)
        return max(Decimal(0), Decimal(right - wrong) / Decimal(len(correct)))

    def correct_display(self):
        return "；".join(f"{letters([i])}. {self.options[i]}" for i in sorted(self.correct))


class TrueFalseQuestion(Question):
    type_code = "true_false"
    type_label = _("True or false")

    correct = models.BooleanField(_("the statement is true"), default=True)

    class Meta:
        verbose_name = _("true-or-false question")
        verbose_name_plural = _("true-or-false questions")

    @property
    def options_list(self):
        return [str(_("True")), str(_("False"))]

    def clean_response(self, raw):
        if raw is None or raw == "":
            return None
        if raw is True or raw in ("true", "0") or (type(raw) is int and raw == 0):
            return True  # option 0 is "true"
        if raw is False or raw in ("false", "1") or (type(raw) is int and raw == 1):
            return False
        raise _invalid(_("Answer true or false."))

    def fraction(self, response):
        return Decimal(1) if response is not None and bool(response) == self.correct else Decimal(0)

    def correct_display(self):
        return str(_("True")) if self.correct else str(_("False"))


class FillBlankQuestion(Question):
    type_code = "fill"
    type_label = _("Fill in the blank")

    accepted = models.JSONField(
        _("accepted answers"),
        default=list,
        help_text=_("Full-width and half-width characters, spaces and case are ignored."),
    )

    class Meta:
        verbose_name = _("fill-in-the-blank question")
        verbose_name_plural = _("fill-in-the-blank questions")

    def clean(self):
        if (
            not isinstance(self.accepted, list)
            or not self.accepted
            or any(not normalise_text(a) for a in self.accepted)
        ):
            raise ValidationError({"accepted": _("Give at least one accepted answer.")})

    def clean_response(self, raw):
        if raw is None:
            return None
        if not isinstance(raw, str):
            raise _invalid(_("Write the answer as text."))
        if len(raw) > 500:
            raise _invalid(_("The answer is too long (500 characters at most)."))
        return raw if raw.strip() else None

    def fraction(self, response):
        if response is None:
            return Decimal(0)
        given = normalise_text(response)
        return Decimal(1) if any(given == normalise_text(a) for a in self.accepted) else Decimal(0)

    def correct_display(self):
        return " / ".join(self.accepted)


class EssayQuestion(Question):
    type_code = "essay"
    type_label = _("Essay")

    rubric = models.TextField(_("marking rubric"), max_length=4000, blank=True)

    class Meta:
        verbose_name = _("essay question")
        verbose_name_plural = _("essay questions")

    @property
    def needs_person(self):
        return True

    def clean_response(self, raw):
        if raw is None:
            return None
        if not isinstance(raw, str):
            raise _invalid(_("Write the answer as text."))
        if len(raw) > 10000:
            raise _invalid(_("The answer is too long (10,000 characters at most)."))
        return raw if raw.strip() else None

    def fraction(self, response):
        return None if response else Decimal(0)

    def correct_display(self):
        return self.rubric


QUESTION_TYPES = {
    cls.type_code: cls
    for cls in (
        SingleChoiceQuestion,
        MultipleChoiceQuestion,
        TrueFalseQuestion,
        FillBlankQuestion,
        EssayQuestion,
    )
}
CHOICE_TYPES = ("single", "multiple", "true_false")


# --- Papers ---------------------------------------------------------------------------------------


class PaperKind(models.TextChoices):
    QUIZ = "quiz", _("Quiz")
    EXAM = "exam", _("Theory exam")
    LESSON_CHECK = "lesson_check", _("Lesson check")


class PaperLayout(models.TextChoices):
    ONE_PER_SCREEN = "one", _("One question per screen")
    WHOLE = "whole", _("The whole paper on one page")


class ReviewPolicy(models.TextChoices):
    NEVER = "never", _("Only the score")
    AFTER_SUBMIT = "after_submit", _("Answers and explanations once marked")
    AFTER_CLOSE = "after_close", _("Answers and explanations after the paper closes")


class PaperStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Paper(models.Model):
    """试卷: what a member is asked, how long they have, how often, and what they see afterwards."""

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=PaperKind.choices, default=PaperKind.QUIZ)
    school = models.ForeignKey(
        "wagtailcore.Page",
        on_delete=models.PROTECT,
        related_name="quiz_papers",
        verbose_name=_("school"),
    )
    session = models.ForeignKey(
        "scheduling.Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quiz_papers",
        verbose_name=_("session"),
        help_text=_("A quiz after this session or this exam session: only its class's members take it."),
    )
    townships = models.ManyToManyField(
        "courses.TownshipSchoolPage",
        blank=True,
        related_name="+",
        verbose_name=_("townships"),
        help_text=_("Without a session: members of these townships (empty: all of the school's)."),
    )
    teachers = models.ManyToManyField(
        "people.Teacher", blank=True, related_name="quiz_papers", verbose_name=_("markers")
    )
    layout = models.CharField(
        _("layout"), max_length=8, choices=PaperLayout.choices, default=PaperLayout.ONE_PER_SCREEN
    )
    shuffle_questions = models.BooleanField(_("shuffle questions per member"), default=True)
    shuffle_options = models.BooleanField(_("shuffle options per member"), default=True)
    pass_percent = models.PositiveSmallIntegerField(_("pass mark (% of the points)"), default=60)
    time_limit_minutes = models.PositiveSmallIntegerField(
        _("time limit (minutes)"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    attempts_allowed = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=1, help_text=_("0: as many as wanted.")
    )
    review = models.CharField(
        _("review"), max_length=16, choices=ReviewPolicy.choices, default=ReviewPolicy.AFTER_SUBMIT
    )
    second_marker = models.BooleanField(
        _("second marker for essays"), default=False, help_text=_("Each essay is marked by two teachers.")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=PaperStatus.choices, default=PaperStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("paper")
        verbose_name_plural = _("papers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PaperKind.values),
                name="quiz_paper_kind_valid",
                violation_error_message=_("This is not a valid kind of paper."),
            ),
            models.CheckConstraint(
                condition=Q(pass_percent__lte=100),
                name="quiz_paper_pass_percent",
                violation_error_message=_("The pass mark is a percentage from 0 to 100."),
            ),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True)
                | Q(opens_at__isnull=True)
                | Q(closes_at__gt=F("opens_at")),
                name="quiz_paper_closes_after_opening",
                violation_error_message=_("A paper must close after it opens."),
            ),
            models.CheckConstraint(
                condition=Q(time_limit_minutes__isnull=True) | Q(time_limit_minutes__gte=1),
                name="quiz_paper_time_limit_positive",
                violation_error_message=_("A time limit is at least one minute."),
            ),
        ]

    def __str__(self):
        return self.title


class PaperPart(models.Model):
    """One line of a paper: a fixed question, or "N questions of this type from this category and
    difficulty, drawn per member"."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="parts", verbose_name=_("paper"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    question = models.ForeignKey(
        Question,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="paper_parts",
        verbose_name=_("fixed question"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    question_type = models.CharField(
        _("question type"),
        max_length=16,
        blank=True,
        choices=[(code, cls.type_label) for code, cls in QUESTION_TYPES.items()],
    )
    difficulty = models.CharField(_("difficulty"), max_length=8, blank=True, choices=Difficulty.choices)
    count = models.PositiveSmallIntegerField(_("how many"), default=1)
    points = models.DecimalField(_("points each"), max_digits=6, decimal_places=2, default=Decimal(1))

    class Meta:
        verbose_name = _("paper part")
        verbose_name_plural = _("paper parts")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(question__isnull=False, category__isnull=True, count=1)
                | Q(question__isnull=True, category__isnull=False, count__gte=1),
                name="quiz_part_fixed_or_drawn",
                violation_error_message=_(
                    "A part is either one fixed question or a number of questions drawn from a category."
                ),
            ),
            models.CheckConstraint(
                condition=Q(points__gt=0),
                name="quiz_part_points_positive",
                violation_error_message=_("A question is worth more than zero points."),
            ),
        ]

    def __str__(self):
        if self.question_id:
            return str(self.question)
        return f"{self.count} × {self.category}"


# --- Attempts -------------------------------------------------------------------------------------


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    MARKING = "marking", _("Being marked")
    RELEASED = "released", _("Result released")


class Attempt(models.Model):
    paper = models.ForeignKey(
        Paper, on_delete=models.PROTECT, related_name="attempts", verbose_name=_("paper")
    )
    member = models.ForeignKey(
        "people.Member", on_delete=models.CASCADE, related_name="quiz_attempts", verbose_name=_("member")
    )
    number = models.PositiveSmallIntegerField(_("attempt number"), default=1)
    # What markers see instead of the member's name.
    code = models.UUIDField(_("anonymous code"), default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS
    )
    started_at = models.DateTimeField(_("started at"))
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    auto_submitted = models.BooleanField(_("submitted when time ran out"), default=False)
    max_score = models.DecimalField(_("points possible"), max_digits=7, decimal_places=2, default=Decimal(0))
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["member", "paper"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "member"],
                condition=Q(status="in_progress"),
                name="quiz_one_open_attempt",
                violation_error_message=_("You already have an attempt open for this paper."),
            ),
            models.UniqueConstraint(
                fields=["paper", "member", "number"],
                name="quiz_attempt_number_unique",
                violation_error_message=_("This attempt number is taken."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=AttemptStatus.values),
                name="quiz_attempt_status_valid",
                violation_error_message=_("This is not a valid attempt status."),
            ),
            models.CheckConstraint(
                condition=Q(status="in_progress") | Q(submitted_at__isnull=False),
                name="quiz_attempt_closed_has_submitted_at",
                violation_error_message=_("A submitted attempt needs its time of submission."),
            ),
        ]

    def __str__(self):
        return f"{self.paper} #{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status == AttemptStatus.IN_PROGRESS

    @property
    def percent(self) -> Decimal | None:
        if self.score is None or not self.max_score:
            return None
        return _points(self.score * 100 / self.max_score)


class AttemptQuestion(models.Model):
    """One question as this member got it: its place, their order of its options, their answer and its marks.
    `option_order[i]` is the stored position of the option shown i-th."""

    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="slots", verbose_name=_("attempt")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="+", verbose_name=_("question")
    )
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    option_order = models.JSONField(default=list)
    response = models.JSONField(null=True, blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)
    fraction = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    needs_marking = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("question of an attempt")
        verbose_name_plural = _("questions of attempts")
        ordering = ["attempt", "position"]
        indexes = [models.Index(fields=["question", "needs_marking"])]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "position"],
                name="quiz_slot_position_unique",
                violation_error_message=_("Two questions cannot share a place in one attempt."),
            ),
            models.UniqueConstraint(
                fields=["attempt", "question"],
                name="quiz_slot_question_unique",
                violation_error_message=_("A question is asked only once in an attempt."),
            ),
        ]

    def __str__(self):
        return f"{self.attempt_id}:{self.position}"


class EssayMark(models.Model):
    """A teacher's mark for one essay answer. With a second marker, two marks from two teachers; the
    essay's score is their average."""

    slot = models.ForeignKey(AttemptQuestion, on_delete=models.CASCADE, related_name="marks")
    marker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("marker")
    )
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    marked_at = models.DateTimeField(_("marked at"))

    class Meta:
        verbose_name = _("essay mark")
        verbose_name_plural = _("essay marks")
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "marker"],
                name="quiz_essay_one_mark_per_marker",
                violation_error_message=_("You have already marked this answer."),
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0),
                name="quiz_essay_mark_not_negative",
                violation_error_message=_("A mark cannot be negative."),
            ),
        ]

    def __str__(self):
        return f"{self.slot_id}: {self.score}"


class YearSetting(models.Model):
    """The organization department's choices for a year."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    exam_counts_toward_hours = models.BooleanField(
        _("exam sessions count toward training hours"), default=True
    )
    second_marker_for_exams = models.BooleanField(_("a second marker for exam essays"), default=False)

    class Meta:
        verbose_name = _("quiz setting for a year")
        verbose_name_plural = _("quiz settings per year")
        ordering = ["-year"]

    def __str__(self):
        return str(self.year)


class LessonCheck(models.Model):
    """A paper at the end of an online lesson; when `required`, the lesson counts as complete only once
    the member has passed it (lms.courses asks `selectors.lesson_checks_passed`)."""

    lesson = models.OneToOneField(
        "courses.Lesson", on_delete=models.CASCADE, related_name="quiz_check", verbose_name=_("lesson")
    )
    paper = models.ForeignKey(
        Paper, on_delete=models.PROTECT, related_name="lesson_checks", verbose_name=_("paper")
    )
    required = models.BooleanField(_("must be passed to complete the lesson"), default=True)

    class Meta:
        verbose_name = _("lesson check")
        verbose_name_plural = _("lesson checks")

    def __str__(self):
        return f"{self.lesson_id} → {self.paper}"

"""Teacher evaluation: questionnaires with polymorphic questions, the evaluation a session's members
answer, and the anonymous record of what they answered.

Anonymity is a property of the schema, not of the pages:
- `Submission` says *who* answered a session's evaluation (for "once only" and response rates). It has
  no timestamp and nothing that points at an answer.
- Ratings and choices are never stored per person: each answer adds one to an `AnswerTally`
  (evaluation, question, value) counter. Nothing per person remains to be linked.
- Free text is kept per answer (`TextAnswer`), with a random UUID key and no time.
- While the evaluation is open, nothing of an answer sheet is counted or filed: it waits in the sealed
  ballot box (`Ballot`: a random key, the evaluation, and the answers encrypted with a key the
  database does not hold, see ballot_box.py). When the evaluation closes, the sweep opens all its
  ballots, shuffles them and writes counters and comments in one transaction (counting.py), so no row
  version of a counter or a comment shares a transaction with anyone's `Submission`.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from polymorphic.models import PolymorphicModel

# --- Questionnaires --------------------------------------------------------------------------------


class QuestionnaireKind(models.TextChoices):
    STANDARD = "standard", _("Standard teacher evaluation (organization department)")
    SCHOOL = "school", _("A school's own questions")


class QuestionnaireStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("In use")
    RETIRED = "retired", _("Replaced by a newer version")


class Questionnaire(models.Model):
    """A versioned list of questions. The standard form is the same everywhere ("one ruler"); a school
    may add its own questions, asked after the standard ones. Once answered, a version's questions are
    frozen: changing them means a new version."""

    kind = models.CharField(_("kind"), max_length=16, choices=QuestionnaireKind.choices)
    school = models.ForeignKey(
        "wagtailcore.Page",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="questionnaires",
        verbose_name=_("school"),
    )
    title = models.CharField(_("title"), max_length=200)
    intro = models.CharField(_("introduction"), max_length=500, blank=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
        verbose_name=_("replaces"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=QuestionnaireStatus.choices, default=QuestionnaireStatus.DRAFT
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["kind", "school__path", "-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=QuestionnaireKind.values),
                name="questionnaire_kind_valid",
                violation_error_message=_("This is not a valid kind of questionnaire."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=QuestionnaireStatus.values),
                name="questionnaire_status_valid",
                violation_error_message=_("This is not a valid questionnaire status."),
            ),
            models.CheckConstraint(
                condition=Q(kind=QuestionnaireKind.STANDARD, school__isnull=True)
                | Q(kind=QuestionnaireKind.SCHOOL, school__isnull=False),
                name="questionnaire_school_only_for_school_kind",
                violation_error_message=_(
                    "The standard form belongs to no school; a school's own questions need their school."
                ),
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind=QuestionnaireKind.STANDARD, status=QuestionnaireStatus.ACTIVE),
                name="questionnaire_one_standard_in_use",
                violation_error_message=_("Only one version of the standard form can be in use."),
            ),
            models.UniqueConstraint(
                fields=["school"],
                condition=Q(status=QuestionnaireStatus.ACTIVE),
                name="questionnaire_one_in_use_per_school",
                violation_error_message=_("A school can have only one version of its questions in use."),
            ),
        ]

    def __str__(self):
        return _("%(title)s (version %(version)s)") % {"title": self.title, "version": self.version}

    @property
    def is_standard(self) -> bool:
        return self.kind == QuestionnaireKind.STANDARD


class Question(PolymorphicModel):
    """One question of a questionnaire. Subclasses know how to read and check an answer."""

    type_label = _("Question")

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions", verbose_name=_("questionnaire")
    )
    sort_order = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=True)
    code = models.SlugField(
        _("code"),
        max_length=40,
        blank=True,
        help_text=_("Keeps a question comparable across versions (e.g. preparation, overall)."),
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["sort_order", "id"]

    def __str__(self):
        return self.text

    def clean_answer(self, raw):
        """The stored form of an answer, or a ValidationError saying what is wrong with it.
        `None` means "not answered" (refused if the question is required)."""
        raise NotImplementedError

    def _missing(self, raw) -> bool:
        return raw is None or raw == "" or raw == []

    def _required_error(self):
        return ValidationError(_("This question must be answered."), code="required")


# Value a "not applicable" rating is counted under (ratings themselves are 1–5).
NOT_APPLICABLE = 0
RATING_SCALE = (1, 2, 3, 4, 5)
SATISFIED_FROM = 4  # a rating of 4 or 5 counts as satisfied


def default_rating_labels() -> list[str]:
    return ["很不满意", "不满意", "一般", "满意", "很满意"]


class RatingQuestion(Question):
    """A 1–5 rating with a label for each step, optionally with "not applicable"."""

    type_label = _("Rating 1–5")

    labels = models.JSONField(_("labels for 1 to 5"), default=default_rating_labels)
    allow_not_applicable = models.BooleanField(_("offer “not applicable”"), default=False)
    counts_for_satisfaction = models.BooleanField(
        _("overall satisfaction item"),
        default=False,
        help_text=_("The satisfaction rate is the share of answers of 4 or 5 to this question."),
    )

    class Meta:
        verbose_name = _("rating question")
        verbose_name_plural = _("rating questions")

    def clean(self):
        if not isinstance(self.labels, list) or len(self.labels) != len(RATING_SCALE):
            raise ValidationError({"labels": _("Give exactly five labels, from 1 to 5.")})
        if any(not isinstance(label, str) or not label.strip() for label in self.labels):
            raise ValidationError({"labels": _("No label may be empty.")})

    def clean_answer(self, raw):
        if self._missing(raw):
            if self.required:
                raise self._required_error()
            return None
        if raw in ("na", NOT_APPLICABLE, str(NOT_APPLICABLE)):
            if not self.allow_not_applicable:
                raise ValidationError(_("“Not applicable” is not offered for this question."), code="invalid")
            return NOT_APPLICABLE
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValidationError(_("Choose a rating from 1 to 5."), code="invalid") from None
        if isinstance(raw, bool) or str(value) != str(raw).strip() or value not in RATING_SCALE:
            raise ValidationError(_("Choose a rating from 1 to 5."), code="invalid")
        return value

    def steps(self) -> list[tuple[int, str]]:
        return list(zip(RATING_SCALE, self.labels, strict=True))


class ChoiceQuestion(Question):
    """Shared by single and multiple choice: a list of options, answered by their positions."""

    options = models.JSONField(_("options"), default=list)

    class Meta:
        abstract = True

    def clean(self):
        if not isinstance(self.options, list) or len(self.options) < 2:
            raise ValidationError({"options": _("Give at least two options.")})
        texts = [str(option).strip() for option in self.options]
        if any(not text for text in texts):
            raise ValidationError({"options": _("No option may be empty.")})
        if len(set(texts)) != len(texts):
            raise ValidationError({"options": _("Each option must differ from the others.")})

    def _option_index(self, raw) -> int:
        try:
            index = int(raw)
        except (TypeError, ValueError):
            raise ValidationError(_("Unknown option: %(value)s.") % {"value": raw}, code="invalid") from None
        if isinstance(raw, bool) or not 0 <= index < len(self.options):
            raise ValidationError(_("Unknown option: %(value)s.") % {"value": raw}, code="invalid")
        return index


class SingleChoiceQuestion(ChoiceQuestion):
    type_label = _("Single choice")

    class Meta:
        verbose_name = _("single-choice question")
        verbose_name_plural = _("single-choice questions")

    def clean_answer(self, raw):
        if self._missing(raw):
            if self.required:
                raise self._required_error()
            return None
        if isinstance(raw, list):
            raise ValidationError(_("Choose one option only."), code="invalid")
        return self._option_index(raw)


class MultipleChoiceQuestion(ChoiceQuestion):
    type_label = _("Multiple choice")

    class Meta:
        verbose_name = _("multiple-choice question")
        verbose_name_plural = _("multiple-choice questions")

    def clean_answer(self, raw):
        if self._missing(raw):
            if self.required:
                raise self._required_error()
            return None
        values = raw if isinstance(raw, list) else [raw]
        indexes = sorted({self._option_index(value) for value in values})
        return indexes


class TextQuestion(Question):
    type_label = _("Free text")

    max_length = models.PositiveSmallIntegerField(_("longest answer (characters)"), default=1000)

    class Meta:
        verbose_name = _("free-text question")
        verbose_name_plural = _("free-text questions")

    def clean_answer(self, raw):
        if not self._missing(raw) and not isinstance(raw, str):
            raise ValidationError(_("Answer in words."), code="invalid")
        text = (raw or "").strip()
        if not text:
            if self.required:
                raise self._required_error()
            return None
        if len(text) > self.max_length:
            raise ValidationError(
                _("At most %(limit)s characters (this answer has %(count)s).")
                % {"limit": self.max_length, "count": len(text)},
                code="max_length",
            )
        return text


QUESTION_TYPES = (RatingQuestion, SingleChoiceQuestion, MultipleChoiceQuestion, TextQuestion)


# --- A session's evaluation ------------------------------------------------------------------------


class SessionEvaluation(models.Model):
    """The evaluation of one taught session: opened when it ends, with the questionnaire versions then
    in use and the teacher then booked, and open for `EVALUATION_OPEN_DAYS`."""

    session = models.OneToOneField(
        "scheduling.Session", on_delete=models.CASCADE, related_name="evaluation", verbose_name=_("session")
    )
    teacher = models.ForeignKey(
        "people.Teacher", on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("teacher")
    )
    standard_form = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="+", verbose_name=_("standard questionnaire")
    )
    school_form = models.ForeignKey(
        Questionnaire,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school's questions"),
    )
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    ballots_counted = models.BooleanField(
        _("ballots counted"),
        default=False,
        help_text=_(
            "Set when the sweep has opened and counted the sealed ballots; no answer is taken after."
        ),
    )

    class Meta:
        verbose_name = _("session evaluation")
        verbose_name_plural = _("session evaluations")
        indexes = [models.Index(fields=["teacher", "opens_at"]), models.Index(fields=["closes_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="evaluation_closes_after_open",
                violation_error_message=_("An evaluation must close after it opens."),
            ),
        ]

    def __str__(self):
        return str(self.session)


class Submission(models.Model):
    """That a member has answered a session's evaluation — and nothing about what or when."""

    evaluation = models.ForeignKey(SessionEvaluation, on_delete=models.CASCADE, related_name="submissions")
    member = models.ForeignKey(
        "people.Member", on_delete=models.CASCADE, related_name="evaluation_submissions"
    )

    class Meta:
        verbose_name = _("evaluation submission")
        verbose_name_plural = _("evaluation submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "member"],
                name="evaluation_one_submission_per_member",
                violation_error_message=_("You have already evaluated this session."),
            ),
        ]

    def __str__(self):
        return f"{self.member_id} → {self.evaluation_id}"


class Ballot(models.Model):
    """One member's answer sheet while the evaluation is open, sealed: a random key, the evaluation, and
    the answers encrypted and padded to one length per evaluation (ballot_box.py). No member, no time.
    All ballots of an evaluation are opened, counted and deleted at once when it closes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    evaluation = models.ForeignKey(SessionEvaluation, on_delete=models.CASCADE, related_name="ballots")
    sealed = models.BinaryField()

    class Meta:
        verbose_name = _("sealed ballot")
        verbose_name_plural = _("sealed ballots")

    def __str__(self):
        return str(self.pk)


class AnswerTally(models.Model):
    """How many respondents gave `value` to a rating or choice question of one session's evaluation
    (a rating, `NOT_APPLICABLE`, or an option's position)."""

    evaluation = models.ForeignKey(SessionEvaluation, on_delete=models.CASCADE, related_name="tallies")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="tallies")
    value = models.SmallIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("answer count")
        verbose_name_plural = _("answer counts")
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "question", "value"],
                name="tally_one_per_value",
                violation_error_message=_("This answer is already counted."),
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="tally_value_not_negative",
                violation_error_message=_("An answer value cannot be negative."),
            ),
        ]

    def __str__(self):
        return f"{self.question_id} = {self.value}: {self.count}"


class TextAnswer(models.Model):
    """One free-text answer: a random key, no time, no member; filed with all the others of its
    evaluation at once, in shuffled order, when the ballots are counted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    evaluation = models.ForeignKey(SessionEvaluation, on_delete=models.CASCADE, related_name="text_answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="text_answers")
    text = models.TextField(_("answer"))

    class Meta:
        verbose_name = _("free-text answer")
        verbose_name_plural = _("free-text answers")
        indexes = [models.Index(fields=["evaluation", "question"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(text=""),
                name="text_answer_not_empty",
                violation_error_message=_("A comment cannot be empty."),
            )
        ]

    def __str__(self):
        return self.text[:50]


class EvaluationReminder(models.Model):
    """A reminder sent to a member who had not yet answered (so it is sent once)."""

    evaluation = models.ForeignKey(SessionEvaluation, on_delete=models.CASCADE, related_name="reminders")
    member = models.ForeignKey("people.Member", on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField(_("sent on"))

    class Meta:
        verbose_name = _("evaluation reminder")
        verbose_name_plural = _("evaluation reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "member"],
                name="evaluation_one_reminder_per_member",
                violation_error_message=_("This member has already been reminded."),
            ),
        ]

    def __str__(self):
        return f"{self.member_id} → {self.evaluation_id}"


# --- The organization department's yearly assessment ----------------------------------------------


class DepartmentScore(models.Model):
    """The organization department's own review score of a teacher for a year (0–100)."""

    teacher = models.ForeignKey(
        "people.Teacher",
        on_delete=models.CASCADE,
        related_name="department_scores",
        verbose_name=_("teacher"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    score = models.DecimalField(_("review score"), max_digits=4, decimal_places=1)
    note = models.CharField(_("note"), max_length=300, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now=True)

    class Meta:
        verbose_name = _("department review score")
        verbose_name_plural = _("department review scores")
        ordering = ["-year", "teacher__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["teacher", "year"],
                name="department_score_one_per_teacher_year",
                violation_error_message=_("This teacher already has a review score for that year."),
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100),
                name="department_score_0_to_100",
                violation_error_message=_("The score must be between 0 and 100."),
            ),
        ]

    def __str__(self):
        return f"{self.teacher} {self.year}: {self.score}"


class ScoringScheme(models.Model):
    """How a year's annual composite score (out of 100) is weighted. Every part is scored 0–100 first:
    satisfaction rate; the mean rating of the standard form's rating questions, 1→0 and 5→100; the
    department's review score; sessions taught against a target."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    satisfaction_weight = models.PositiveSmallIntegerField(_("weight: satisfaction rate"), default=40)
    rating_weight = models.PositiveSmallIntegerField(_("weight: mean rating"), default=20)
    review_weight = models.PositiveSmallIntegerField(_("weight: department review"), default=30)
    sessions_weight = models.PositiveSmallIntegerField(_("weight: sessions taught"), default=10)
    sessions_target = models.PositiveSmallIntegerField(
        _("sessions for full marks"), default=4, help_text=_("Sessions taught in the year that earn 100.")
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("composite score weights")
        verbose_name_plural = _("composite score weights")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Exact(
                    F("satisfaction_weight") + F("rating_weight") + F("review_weight") + F("sessions_weight"),
                    100,
                ),
                name="scoring_weights_sum_to_100",
                violation_error_message=_("The weights must add up to 100."),
            ),
            models.CheckConstraint(
                condition=Q(sessions_target__gte=1),
                name="scoring_sessions_target_positive",
                violation_error_message=_("The target number of sessions must be at least 1."),
            ),
        ]

    def __str__(self):
        return str(self.year)

    @property
    def weights(self) -> dict[str, int]:
        return {
            "satisfaction": self.satisfaction_weight,
            "rating": self.rating_weight,
            "review": self.review_weight,
            "sessions": self.sessions_weight,
        }

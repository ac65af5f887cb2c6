"""Writes of lms.quizzes: the bank (versions), starting, answering and submitting attempts (with the
server's clock as the only clock), the expiry sweep, essay marking and release.

Every entry point (member pages, the API, the admin, the worker) comes through here. The rules that must
always hold are also constraints: one open attempt per member and paper, a question only once per attempt,
one mark per marker and essay.
"""

import random
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.compiled import CompiledQuery, Slot
from lms.people.models import Member
from lms.people.selectors import is_org_dept, member_profile
from lms.quizzes import selectors
from lms.quizzes.models import (
    CHOICE_TYPES,
    QUESTION_TYPES,
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    EssayMark,
    Paper,
    PaperStatus,
    Question,
    YearSetting,
)

_random = random.SystemRandom()


class QuizRefused(ValidationError):
    """Something a member or marker asked that the rules refuse; `reason` is a stable code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message, code=reason)
        self.reason = reason


# --- The bank -------------------------------------------------------------------------------------


def question_create(*, user, type_code: str, school=None, **fields) -> Question:
    if type_code not in QUESTION_TYPES:
        raise ValidationError({"type": _("Unknown question type.")})
    if not selectors.can_edit_bank(user, school):
        raise PermissionDenied(_("You may not change this question bank."))
    question = QUESTION_TYPES[type_code](
        school=school, created_by=user if user.is_authenticated else None, **fields
    )
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def question_edit(*, user, question: Question, **changes) -> Question:
    """Change a question. One that has been put to someone is frozen: the change makes a new version,
    which replaces the old one in papers (attempts keep the version they were asked)."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    if not selectors.can_edit_bank(user, question.school):
        raise PermissionDenied(_("You may not change this question bank."))
    if not question.is_current:
        raise QuizRefused("old_version", _("This is an old version; edit the current one."))
    if not question.frozen:
        for name, value in changes.items():
            setattr(question, name, value)
        question.full_clean()
        question.save()
        return question
    fields = question.copy_fields()
    fields.update(changes)
    fields.update(version=question.version + 1, previous_id=question.pk, frozen=False, is_current=True)
    fields["created_by_id"] = user.pk if user.is_authenticated else None
    fields.pop("created_at", None)
    new = type(question)(**fields)
    Question.objects.filter(pk=question.pk).update(is_current=False)
    new.full_clean(exclude=["previous"])
    new.save()
    question.paper_parts.update(question=new)
    return new


@transaction.atomic
def year_setting_set(*, user, year: int, exam_counts_toward_hours: bool, second_marker_for_exams: bool):
    """The organization department's choices for a year: whether exam sessions count toward the hours
    (every hours reader follows at once; the dashboards' monthly sums at their next refresh: this year
    within ten minutes, earlier years overnight) and a second marker for every exam's essays."""
    if not is_org_dept(user):
        raise PermissionDenied(_("Only the organization department sets the yearly choices."))
    setting, _created = YearSetting.objects.update_or_create(
        year=year,
        defaults={
            "exam_counts_toward_hours": exam_counts_toward_hours,
            "second_marker_for_exams": second_marker_for_exams,
        },
    )
    return setting


# --- Attempts -------------------------------------------------------------------------------------


def _draw(paper: Paper) -> list[tuple[Question, Decimal]]:
    """The questions of one sitting: fixed ones and per-member draws, never the same question twice."""
    chosen: list[tuple[int, Decimal]] = []
    taken: set[int] = set()
    for part in paper.parts.all():
        if part.question_id:
            if part.question_id not in taken:
                chosen.append((part.question_id, part.points))
                taken.add(part.question_id)
            continue
        pool = [pk for pk in selectors.draw_pool(paper, part) if pk not in taken]
        if len(pool) < part.count:
            raise QuizRefused(
                "bank_too_small",
                _("The bank has too few questions for “%(part)s”: %(have)s of %(need)s.")
                % {"part": part, "have": len(pool), "need": part.count},
            )
        for pk in _random.sample(pool, part.count):
            chosen.append((pk, part.points))
            taken.add(pk)
    if not chosen:
        raise QuizRefused("empty", _("This paper has no questions yet."))
    questions = Question.objects.in_bulk([pk for pk, _points in chosen])
    return [(questions[pk], points) for pk, points in chosen]


def _deadline(paper: Paper, now):
    ends = []
    if paper.time_limit_minutes:
        ends.append(now + timezone.timedelta(minutes=paper.time_limit_minutes))
    if paper.closes_at:
        ends.append(paper.closes_at)
    return min(ends) if ends else None


def attempt_start(*, user, paper: Paper) -> tuple[Attempt, bool]:
    """Start an attempt, or return the one already open (from any device). Two starts at once make one."""
    member = member_profile(user)
    if member is None:
        raise PermissionDenied(_("Only party members take quizzes."))
    if paper.status != PaperStatus.PUBLISHED or not selectors.paper_open_to(member, paper):
        raise PermissionDenied(_("This paper is not open to you."))
    open_attempt = selectors.open_attempt(member, paper)
    if open_attempt is not None:
        return open_attempt, False
    now = timezone.now()
    if paper.opens_at and now < paper.opens_at:
        raise QuizRefused(
            "not_open", _("This paper opens at %(at)s.") % {"at": timezone.localtime(paper.opens_at)}
        )
    if paper.closes_at and now >= paper.closes_at:
        raise QuizRefused("closed", _("This paper has closed."))
    used = Attempt.objects.filter(paper=paper, member=member).aggregate(n=Max("number"))["n"] or 0
    if paper.attempts_allowed and used >= paper.attempts_allowed:
        raise QuizRefused("no_attempts_left", _("You have used all your attempts at this paper."))
    drawn = _draw(paper)
    if paper.shuffle_questions:
        _random.shuffle(drawn)
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                paper=paper,
                member=member,
                number=used + 1,
                started_at=now,
                deadline=_deadline(paper, now),
                max_score=sum((points for _q, points in drawn), Decimal(0)),
            )
            slots = []
            for position, (question, points) in enumerate(drawn, start=1):
                order = list(range(len(question.options_list)))
                if paper.shuffle_options and question.type_code in ("single", "multiple"):
                    _random.shuffle(order)
                slots.append(
                    AttemptQuestion(
                        attempt=attempt,
                        position=position,
                        question=question,
                        points=points,
                        option_order=order,
                    )
                )
            AttemptQuestion.objects.bulk_create(slots)
            Question.objects.filter(pk__in=[q.pk for q, _p in drawn], frozen=False).update(frozen=True)
            if attempt.deadline is not None:
                from lms.quizzes.tasks import attempt_expire_at_deadline

                transaction.on_commit(lambda: attempt_expire_at_deadline(attempt))
    except IntegrityError:
        # Another request (another device, a double tap) started it first: use theirs.
        open_attempt = selectors.open_attempt(member, paper)
        if open_attempt is None:
            raise
        return open_attempt, False
    return attempt, True


# Each question's own type's row, joined in the same query as its slot (polymorphic's
# `get_real_instance` costs two more queries per question).
_QUESTION_CHILDREN = tuple(cls._meta.model_name for cls in QUESTION_TYPES.values())


def _real_question(question: Question) -> Question:
    """The question as its own type, from the rows joined by `_slots_with_questions` (no query)."""
    for child in _QUESTION_CHILDREN:
        try:
            return getattr(question, child)
        except ObjectDoesNotExist:
            continue
    return question.get_real_instance()


def _slots_query(*, one_position: bool) -> CompiledQuery:
    """The member's attempt's slots (or the one at a position), each with its question as its own
    type, and the attempt (with its paper) locked, in one query: a save and the submission of one
    attempt take turns on the attempt's row. Nothing when the attempt is not the member's. Compiled
    once per process (lms/compiled.py): the ORM took longer to build this nine-table SQL on every save
    than PostgreSQL took to run it."""
    slots = [Slot("attempt", -774_000_011), Slot("user", -774_000_012)]
    if one_position:
        slots.append(Slot("position", 32_123))  # a small positive integer field: an example in range

    def build(s):
        queryset = (
            AttemptQuestion.objects.select_for_update(of=("attempt",))
            .select_related("attempt__paper", *(f"question__{child}" for child in _QUESTION_CHILDREN))
            .filter(attempt_id=s.attempt, attempt__member__user_id=s.user)
            .order_by("position")
        )
        return queryset.filter(position=s.position)[:1] if one_position else queryset

    return CompiledQuery(build, *slots)


_SLOTS = _slots_query(one_position=False)
_SLOT_AT = _slots_query(one_position=True)


def _slots_with_questions(user, attempt_id: int, position: int | None = None) -> list[AttemptQuestion]:
    """`_slots_query`'s rows for this user (all of them, or the one at `position`); call it inside a
    transaction (the attempt's row is locked until it ends)."""
    if not user.is_authenticated:
        return []
    if position is None:
        return _SLOTS.all(attempt=int(attempt_id), user=user.pk)
    return _SLOT_AT.all(attempt=int(attempt_id), user=user.pk, position=int(position))


def _member_attempt_for_update(user, attempt_id: int) -> Attempt:
    """The member's own attempt, locked (saves and the submission of one attempt take turns)."""
    attempt = (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("paper")
        .filter(pk=attempt_id, member__user_id=user.pk)
        .first()
        if user.is_authenticated
        else None
    )
    if attempt is None:
        raise PermissionDenied(_("This is not your attempt."))
    return attempt


def _stored_value(slot: AttemptQuestion, question: Question, value):
    """From what the member's screen shows (options in their own order) to the stored positions."""
    if question.type_code not in CHOICE_TYPES or value is None or value == "" or value == []:
        return value
    order = slot.option_order or list(range(len(question.options_list)))

    def stored(shown):
        if isinstance(shown, bool):
            raise QuizRefused("invalid", _("Unknown option."))
        try:
            return order[int(shown)]
        except (TypeError, ValueError, IndexError):
            raise QuizRefused("invalid", _("Unknown option.")) from None

    if question.type_code == "multiple":
        return [stored(item) for item in (value if isinstance(value, list) else [value])]
    if isinstance(value, list):
        raise QuizRefused("invalid", _("Choose one option only."))
    return stored(value)


def attempt_save_answer(*, user, attempt_id: int, position: int, value) -> AttemptQuestion:
    """Save one answer. Refused after the deadline (the attempt is then submitted as it stood).

    Two round trips besides the transaction: one locked read of the slot with its attempt, paper and
    question (as its own type), and the answer's update; a position the attempt lacks costs one more
    read (of the attempt alone), to tell it from an attempt that is not the member's."""
    with transaction.atomic():
        slot = next(iter(_slots_with_questions(user, attempt_id, position)), None)
        attempt = slot.attempt if slot is not None else _member_attempt_for_update(user, attempt_id)
        late = attempt.is_open and attempt.deadline is not None and timezone.now() >= attempt.deadline
        if late:
            _finish(attempt, auto=True)  # committed; this answer is refused below
        else:
            slot = _answer_write(attempt, slot, position, value)
    if late:
        raise QuizRefused("time_up", _("Time is up: answers are no longer accepted."))
    slot.attempt = attempt
    return slot


def _answer_write(attempt: Attempt, slot: AttemptQuestion | None, position: int, value) -> AttemptQuestion:
    if not attempt.is_open:
        if attempt.auto_submitted:
            raise QuizRefused("time_up", _("Time is up: answers are no longer accepted."))
        raise QuizRefused("submitted", _("This attempt has been submitted."))
    if slot is None:
        raise QuizRefused("no_question", _("This attempt has no question %(n)s.") % {"n": position})
    question = _real_question(slot.question)
    try:
        slot.response = question.clean_response(_stored_value(slot, question, value))
    except QuizRefused:
        raise
    except ValidationError as error:
        raise QuizRefused("invalid", error.messages[0]) from None
    slot.saved_at = timezone.now()
    slot.save(update_fields=["response", "saved_at"])
    return slot


def attempt_submit(*, user, attempt_id: int) -> Attempt:
    """Submit and mark. Three round trips besides the transaction: the slots with their questions and
    the locked attempt in one read, the marks in one bulk update, the attempt's result."""
    with transaction.atomic():
        slots = _slots_with_questions(user, attempt_id)
        attempt = slots[0].attempt if slots else _member_attempt_for_update(user, attempt_id)
        if attempt.is_open:
            late = attempt.deadline is not None and timezone.now() >= attempt.deadline
            _finish(attempt, auto=late, slots=slots or None)
    return attempt


def attempt_expire_if_due(attempt: Attempt) -> Attempt:
    """Lazy expiry: whoever touches an attempt whose time is up submits it first."""
    if attempt.is_open and attempt.deadline and timezone.now() >= attempt.deadline:
        with transaction.atomic():
            locked = Attempt.objects.select_for_update().select_related("paper").get(pk=attempt.pk)
            if locked.is_open:
                _finish(locked, auto=True)
            return locked
    return attempt


def attempts_expire(batch: int = 500) -> int:
    """The sweep (worker): submit every attempt whose time ran out. Returns how many."""
    done = 0
    while True:
        with transaction.atomic():
            due = list(
                Attempt.objects.select_for_update(skip_locked=True)
                .select_related("paper")
                .filter(status=AttemptStatus.IN_PROGRESS, deadline__lte=timezone.now())
                .order_by("deadline")[:batch]
            )
            for attempt in due:
                _finish(attempt, auto=True)
        done += len(due)
        if len(due) < batch:
            return done


def _finish(attempt: Attempt, *, auto: bool, slots: list[AttemptQuestion] | None = None) -> None:
    """Submit a locked, open attempt: mark what a machine can, queue essays, release if nothing is left.
    `slots`: the attempt's slots already read with their questions (`_slots_with_questions`)."""
    now = timezone.now()
    if slots is None:
        slots = list(
            AttemptQuestion.objects.filter(attempt=attempt)
            .select_related(*(f"question__{child}" for child in _QUESTION_CHILDREN))
            .order_by()
        )
    for slot in slots:
        fraction = _real_question(slot.question).fraction(slot.response)
        slot.fraction = fraction
        slot.score = None if fraction is None else (slot.points * fraction).quantize(Decimal("0.01"))
        slot.needs_marking = fraction is None
    AttemptQuestion.objects.bulk_update(slots, ["fraction", "score", "needs_marking"])
    attempt.submitted_at = now
    attempt.auto_submitted = auto
    attempt.status = AttemptStatus.MARKING
    if not any(slot.needs_marking for slot in slots):
        _release(attempt, slots, announce=False)  # the member sees the result as they submit
    attempt.save(update_fields=["submitted_at", "auto_submitted", "status", "score", "passed", "released_at"])


def _release(attempt: Attempt, slots, *, announce: bool = True) -> None:
    attempt.score = sum((slot.score or Decimal(0) for slot in slots), Decimal(0))
    attempt.passed = (
        attempt.max_score > 0 and attempt.score * 100 >= attempt.max_score * attempt.paper.pass_percent
    )
    attempt.status = AttemptStatus.RELEASED
    attempt.released_at = timezone.now()
    if not announce:
        return
    member_user_id = Member.objects.filter(pk=attempt.member_id).values_list("user_id", flat=True).first()
    title = attempt.paper.title
    transaction.on_commit(lambda: _announce_result(member_user_id, attempt.pk, title))


def _announce_result(user_id, attempt_id, title) -> None:
    try:
        from lms.notifications.services import notify
    except ImportError:  # the notifications app not there yet
        return
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first()
    if user is not None:
        notify(
            user,
            "results_released",
            f"quiz:{attempt_id}",
            context={"title": title},
            url=f"/me/quizzes/attempts/{attempt_id}/",
        )


# --- Marking --------------------------------------------------------------------------------------


def essay_mark(*, user, slot_id: int, score, comment: str = "") -> EssayMark:
    """One marker's mark for one essay (blind: the marker sees the answer, never who wrote it)."""
    try:
        score = Decimal(str(score))
    except ArithmeticError:
        raise QuizRefused("invalid", _("Give the mark as a number.")) from None
    with transaction.atomic():
        slot = (
            AttemptQuestion.objects.select_for_update(of=("self",))
            .select_related("attempt__paper")
            .filter(pk=slot_id)
            .first()
        )
        if slot is None or not selectors.can_mark(user, slot.attempt.paper):
            raise PermissionDenied(_("You do not mark this paper."))
        if not slot.needs_marking:
            raise QuizRefused("marked", _("This answer has been marked."))
        if not Decimal(0) <= score <= slot.points:
            raise QuizRefused(
                "invalid", _("Give a mark from 0 to %(points)s.") % {"points": slot.points.normalize()}
            )
        try:
            with transaction.atomic():
                mark = EssayMark.objects.create(
                    slot=slot, marker=user, score=score, comment=comment[:2000], marked_at=timezone.now()
                )
        except IntegrityError:
            raise QuizRefused("already_marked", _("You have already marked this answer.")) from None
        marks = list(slot.marks.values_list("score", flat=True))
        if len(marks) >= selectors.marks_required(slot.attempt.paper):
            slot.score = (sum(marks, Decimal(0)) / len(marks)).quantize(Decimal("0.01"))
            slot.fraction = (slot.score / slot.points).quantize(Decimal("0.0001"))
            slot.needs_marking = False
            slot.save(update_fields=["score", "fraction", "needs_marking"])
            attempt = Attempt.objects.select_for_update().select_related("paper").get(pk=slot.attempt_id)
            slots = list(attempt.slots.all())
            if attempt.status == AttemptStatus.MARKING and not any(s.needs_marking for s in slots):
                _release(attempt, slots)
                attempt.save(update_fields=["score", "passed", "status", "released_at"])
    return mark


def paper_publish(*, user, paper: Paper) -> Paper:
    """Publish a paper once the bank can fill every draw; members of an exam hear of it."""
    if not selectors.can_manage_paper(user, paper):
        raise PermissionDenied(_("You may not change this paper."))
    _draw(paper)  # refuses (bank_too_small, empty) with words for staff
    Paper.objects.filter(pk=paper.pk).update(status=PaperStatus.PUBLISHED)
    paper.status = PaperStatus.PUBLISHED
    if paper.kind == "exam":
        transaction.on_commit(lambda: exam_scheduled_announce(paper))
    return paper


def exam_scheduled_announce(paper: Paper) -> int:
    """Tell every member a published exam is for (once each)."""
    try:
        from lms.notifications.services import notify_many
    except ImportError:
        return 0
    users = [m.user for m in selectors.paper_members(paper).select_related("user")]
    starts = paper.opens_at or (paper.session.starts_at if paper.session_id else None)
    return notify_many(
        users,
        "exam_scheduled",
        f"exam:{paper.pk}",
        context={"title": paper.title, "starts_at": starts.isoformat() if starts else ""},
        url="/me/quizzes/",
    )

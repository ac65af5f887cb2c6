"""Writes about teacher evaluation: opening a session's evaluation, a member's answers, reminders.

A member's answers go into the sealed ballot box (models.Ballot, ballot_box.py), together with the
`Submission` that says they answered: nothing is counted and no comment is filed while the evaluation
is open. counting.py opens the box when the evaluation closes. Submissions of one evaluation are
serialised by a row lock on it, which the count also takes, so no ballot comes in after the count.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.attendance.models import AttendanceRecord, AttendanceStatus
from lms.evaluation import ballot_box
from lms.evaluation.models import (
    NOT_APPLICABLE,
    RATING_SCALE,
    AnswerTally,
    Ballot,
    ChoiceQuestion,
    EvaluationReminder,
    Question,
    Questionnaire,
    QuestionnaireKind,
    QuestionnaireStatus,
    RatingQuestion,
    SessionEvaluation,
    Submission,
)
from lms.notifications.models import Channel, NotificationKind
from lms.notifications.services import notify, notify_many
from lms.people.models import Member
from lms.people.selectors import member_profile
from lms.scheduling.models import PUBLIC_STATUSES, TAUGHT_KINDS, Session

User = get_user_model()

# Attendance that earns a say: the member was there.
EVALUATING_STATUSES = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


class EvaluationRefused(ValidationError):
    """The member may not answer this evaluation; `reason` is a stable code for the API and the page."""

    def __init__(self, reason: str, message: str):
        super().__init__(message, code=reason)
        self.reason = reason


class AnswersInvalid(ValidationError):
    """Some answers do not fit their questions; `errors` maps question ids to messages."""

    def __init__(self, errors: dict[int, list[str]]):
        super().__init__(_("Some answers need correcting."), code="invalid")
        self.errors = errors


# --- Opening ---------------------------------------------------------------------------------------


def is_evaluated(session: Session) -> bool:
    """Lectures, site visits and electives of classes that take place are evaluated, when they have a
    teacher."""
    return (
        session.kind in TAUGHT_KINDS
        and session.teacher_id is not None
        and session.training_class.status in PUBLIC_STATUSES
    )


def active_form(*, school=None) -> Questionnaire | None:
    forms = Questionnaire.objects.filter(status=QuestionnaireStatus.ACTIVE)
    if school is None:
        return forms.filter(kind=QuestionnaireKind.STANDARD).first()
    return forms.filter(kind=QuestionnaireKind.SCHOOL, school=school).first()


def _tally_values(question: Question) -> list[int]:
    if isinstance(question, RatingQuestion):
        return ([NOT_APPLICABLE] if question.allow_not_applicable else []) + list(RATING_SCALE)
    if isinstance(question, ChoiceQuestion):
        return list(range(len(question.options)))
    return []


def evaluation_questions(evaluation: SessionEvaluation) -> list[Question]:
    """The standard questions, then the school's own, in order (as their real types)."""
    forms = [evaluation.standard_form_id] + ([evaluation.school_form_id] if evaluation.school_form_id else [])
    questions = list(Question.objects.filter(questionnaire_id__in=forms).order_by("sort_order", "id"))
    return sorted(
        questions, key=lambda q: (q.questionnaire_id != evaluation.standard_form_id, q.sort_order, q.pk)
    )


def evaluation_open(*, session: Session, now: datetime | None = None) -> SessionEvaluation | None:
    """The session's evaluation, opened (with the questionnaires now in use and a zero counter for every
    possible answer) if the session has ended and is evaluated. None if it is not (yet)."""
    existing = SessionEvaluation.objects.filter(session=session).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    if session.ends_at > now or not is_evaluated(session):
        return None
    standard = active_form()
    if standard is None:
        return None
    school_form = active_form(school=session.training_class.school)
    try:
        with transaction.atomic():
            evaluation = SessionEvaluation.objects.create(
                session=session,
                teacher_id=session.teacher_id,
                standard_form=standard,
                school_form=school_form,
                opens_at=session.ends_at,
                closes_at=session.ends_at + timedelta(days=settings.EVALUATION_OPEN_DAYS),
            )
            AnswerTally.objects.bulk_create(
                AnswerTally(evaluation=evaluation, question=question, value=value)
                for question in evaluation_questions(evaluation)
                for value in _tally_values(question)
            )
            transaction.on_commit(partial(_notify_evaluation_open, evaluation), robust=True)
    except IntegrityError:  # opened at the same moment by another request
        return SessionEvaluation.objects.get(session=session)
    return evaluation


def evaluations_open_ended(*, now: datetime | None = None, since: datetime | None = None) -> int:
    """The background sweep: open the evaluation of every evaluated session that ended since `since`
    (default: within the answering period). Returns how many were opened."""
    now = now or timezone.now()
    since = since or now - timedelta(days=settings.EVALUATION_OPEN_DAYS)
    sessions = (
        Session.objects.filter(
            ends_at__lte=now,
            ends_at__gt=since,
            kind__in=TAUGHT_KINDS,
            teacher__isnull=False,
            training_class__status__in=PUBLIC_STATUSES,
            evaluation__isnull=True,
        )
        .select_related("training_class")
        .order_by("ends_at")
    )
    return sum(evaluation_open(session=session, now=now) is not None for session in sessions)


# --- Answering -------------------------------------------------------------------------------------


def check_may_answer(*, member: Member | None, session: Session, now: datetime) -> SessionEvaluation:
    """The evaluation this member may answer now, or EvaluationRefused saying why not."""
    if member is None:
        raise EvaluationRefused("not_member", _("Only party members evaluate teaching."))
    if session.training_class.status not in PUBLIC_STATUSES or not is_evaluated(session):
        raise EvaluationRefused("not_evaluated", _("This session has no teacher evaluation."))
    attended = AttendanceRecord.objects.filter(
        session=session, member=member, status__in=EVALUATING_STATUSES
    ).exists()
    if not attended:
        raise EvaluationRefused("not_attended", _("Only members who attended this session may evaluate it."))
    if session.ends_at > now:
        raise EvaluationRefused(
            "not_open",
            _("The evaluation opens when the session ends, at %(time)s.")
            % {"time": timezone.localtime(session.ends_at).strftime("%H:%M")},
        )
    evaluation = evaluation_open(session=session, now=now)
    if evaluation is None:
        raise EvaluationRefused("not_evaluated", _("This session has no teacher evaluation."))
    if Submission.objects.filter(evaluation=evaluation, member=member).exists():
        raise EvaluationRefused("answered", _("You have already evaluated this session. Thank you."))
    if now >= evaluation.closes_at or evaluation.ballots_counted:
        raise _closed(evaluation)
    return evaluation


def _closed(evaluation: SessionEvaluation) -> EvaluationRefused:
    return EvaluationRefused(
        "closed",
        _("The evaluation closed on %(date)s.")
        % {"date": timezone.localtime(evaluation.closes_at).strftime("%Y-%m-%d %H:%M")},
    )


def clean_answers(questions: list[Question], answers: dict) -> dict[int, object]:
    """Each question's stored answer (None when an optional one is left out), or AnswersInvalid with
    a message per question. Answers are keyed by question id (as int or str)."""
    if not isinstance(answers, dict):
        raise AnswersInvalid({0: [_("Answers must be given per question.")]})
    given = {str(key): value for key, value in answers.items()}
    known = {str(question.pk) for question in questions}
    errors: dict[int, list[str]] = {}
    for key in sorted(set(given) - known):
        errors[int(key) if key.isdigit() else 0] = [_("There is no question %(key)s here.") % {"key": key}]
    cleaned: dict[int, object] = {}
    for question in questions:
        try:
            cleaned[question.pk] = question.clean_answer(given.get(str(question.pk)))
        except ValidationError as error:
            errors[question.pk] = error.messages
    if errors:
        raise AnswersInvalid(errors)
    return cleaned


def evaluation_submit(*, user, session: Session, answers: dict, now: datetime | None = None) -> Submission:
    """Record a member's answers to a session's evaluation, once. Refused (EvaluationRefused) if they
    did not attend, have answered already, or it is closed; AnswersInvalid if answers do not fit."""
    now = now or timezone.now()
    member = member_profile(user)
    evaluation = check_may_answer(member=member, session=session, now=now)
    questions = evaluation_questions(evaluation)
    cleaned = clean_answers(questions, answers)
    sealed = ballot_box.seal(evaluation_id=evaluation.pk, questions=questions, answers=cleaned)
    try:
        with transaction.atomic():
            # The count takes the same lock, then marks the evaluation counted: no ballot after it.
            locked = SessionEvaluation.objects.select_for_update().get(pk=evaluation.pk)
            if locked.ballots_counted:
                raise _closed(locked)
            submission = Submission.objects.create(evaluation=evaluation, member=member)
            Ballot.objects.create(evaluation=evaluation, sealed=sealed)
    except IntegrityError:
        raise EvaluationRefused(
            "answered", _("You have already evaluated this session. Thank you.")
        ) from None
    return submission


# --- Reminders -------------------------------------------------------------------------------------


@dataclass
class ReminderReport:
    reminded: int
    emailed: int


def evaluation_reminders_send(*, now: datetime | None = None) -> ReminderReport:
    """Remind each member who attended but has not answered, once, when their evaluation closes within
    `EVALUATION_REMIND_HOURS`. The reminder shows on their home page; those with an e-mail address
    also get it by e-mail."""
    now = now or timezone.now()
    closing = SessionEvaluation.objects.filter(
        closes_at__gt=now, closes_at__lte=now + timedelta(hours=settings.EVALUATION_REMIND_HOURS)
    ).select_related("session__training_class")
    reminded = emailed = 0
    for evaluation in closing:
        members = (
            Member.objects.filter(
                attendance__session_id=evaluation.session_id, attendance__status__in=EVALUATING_STATUSES
            )
            .exclude(evaluation_submissions__evaluation=evaluation)
            .exclude(pk__in=EvaluationReminder.objects.filter(evaluation=evaluation).values("member_id"))
            .select_related("user")
        )
        for member in members:
            _reminder, created = EvaluationReminder.objects.get_or_create(
                evaluation=evaluation, member=member, defaults={"sent_on": timezone.localdate(now)}
            )
            if not created:
                continue
            reminded += 1
            # In the app, and by e-mail or SMS as the member chose (sent by the worker, not at night).
            notification = notify(
                member.user,
                NotificationKind.EVALUATION_CLOSING,
                f"evaluation:{evaluation.pk}",
                context=evaluation_details(evaluation),
                url=f"/me/evaluations/{evaluation.session_id}/",
            )
            emailed += bool(notification and notification.deliveries.filter(channel=Channel.EMAIL).exists())
    return ReminderReport(reminded, emailed)


def evaluation_details(evaluation: SessionEvaluation) -> dict:
    return {
        "session": evaluation.session.display_title,
        "class": evaluation.session.training_class.title,
        "closes_at": evaluation.closes_at.isoformat(),
    }


def _notify_evaluation_open(evaluation: SessionEvaluation) -> int:
    """Tell everyone who attended the session that its evaluation is open (once each)."""
    users = User.objects.filter(
        member__attendance__session_id=evaluation.session_id,
        member__attendance__status__in=EVALUATING_STATUSES,
        is_active=True,
    ).only("pk", "email", "is_active")
    return notify_many(
        users,
        NotificationKind.EVALUATION_OPEN,
        f"evaluation:{evaluation.pk}",
        context=evaluation_details(evaluation),
        url=f"/me/evaluations/{evaluation.session_id}/",
    )

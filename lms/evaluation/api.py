"""API routes for members evaluating teaching: what is open, the form, and the answers.

Answers are `{"answers": {"<question id>": value}}`: a rating 1–5 (or "na" where offered), an option's
position for single choice, a list of positions for multiple choice, text for free text. Errors come
back per question: `{"detail": ..., "errors": {"<question id>": ["..."]}}`."""

from datetime import datetime
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from lms.evaluation import selectors, services
from lms.evaluation.models import (
    ChoiceQuestion,
    Question,
    RatingQuestion,
    SessionEvaluation,
    TextQuestion,
)
from lms.evaluation.results import question_type
from lms.people.api import Message
from lms.people.selectors import member_profile
from lms.scheduling.models import Session
from lms.scheduling.selectors import class_visible_to

router = Router(tags=["evaluation"])

# Refusals about the member (403) rather than the state of the evaluation (409).
FORBIDDEN_REASONS = {"not_member", "not_attended", "not_evaluated"}


class RefusalOut(Schema):
    detail: str
    reason: str


class AnswersInvalidOut(Schema):
    detail: str
    errors: dict[str, list[str]]


class OpenEvaluationOut(Schema):
    session_id: int
    session: str
    training_class: str
    teacher: str
    starts_at: datetime
    ends_at: datetime
    closes_at: datetime
    closing_soon: bool


class QuestionOut(Schema):
    id: int
    type: str = Field(..., description="rating, single, multiple or text")
    text: str
    help_text: str
    required: bool
    part: str = Field(..., description="standard (the county's form) or school (the school's own)")
    labels: list[str] | None = Field(None, description="Ratings: the labels of 1 to 5")
    not_applicable: bool | None = Field(None, description='Ratings: whether "na" may be answered')
    options: list[str] | None = Field(None, description="Choices: answered by position, from 0")
    max_length: int | None = None


class EvaluationFormOut(Schema):
    session_id: int
    session: str
    training_class: str
    teacher: str
    intro: str
    closes_at: datetime
    questions: list[QuestionOut]


class AnswersIn(Schema):
    answers: dict[str, Any] = Field(..., description="Question id → answer")


class SubmittedOut(Schema):
    detail: str
    session_id: int


def _refusal(refused: services.EvaluationRefused):
    status = 403 if refused.reason in FORBIDDEN_REASONS else 409
    return Status(status, {"detail": refused.messages[0], "reason": refused.reason})


def _question_payload(question: Question, evaluation: SessionEvaluation) -> dict:
    payload = {
        "id": question.pk,
        "type": question_type(question),
        "text": question.text,
        "help_text": question.help_text,
        "required": question.required,
        "part": "standard" if question.questionnaire_id == evaluation.standard_form_id else "school",
    }
    if isinstance(question, RatingQuestion):
        payload.update(labels=question.labels, not_applicable=question.allow_not_applicable)
    elif isinstance(question, ChoiceQuestion):
        payload.update(options=question.options)
    elif isinstance(question, TextQuestion):
        payload.update(max_length=question.max_length)
    return payload


def _session(request, session_id: int) -> Session:
    """The session, or 404 when it is missing or its class is hidden from the user (another
    township's draft): both answer the same."""
    session = get_object_or_404(Session.objects.select_related("training_class", "teacher"), pk=session_id)
    if not class_visible_to(request.user, session.training_class):
        raise Http404
    return session


@router.get("/me/evaluations", response=list[OpenEvaluationOut], summary="Sessions I may still evaluate")
def my_evaluations(request):
    return [
        {
            "session_id": item.session.pk,
            "session": item.session.display_title,
            "training_class": item.session.training_class.title,
            "teacher": item.session.teacher.name,
            "starts_at": item.session.starts_at,
            "ends_at": item.session.ends_at,
            "closes_at": item.closes_at,
            "closing_soon": item.closing_soon,
        }
        for item in selectors.member_open_evaluations(member_profile(request.user))
    ]


@router.get(
    "/sessions/{session_id}/evaluation",
    response={200: EvaluationFormOut, 403: RefusalOut | Message, 404: Message, 409: RefusalOut},
    summary="The evaluation form of a session I attended",
)
def evaluation_form(request, session_id: int):
    """403 if the user did not attend (or is not a member); 409 if already answered, not open yet or
    closed."""
    session = _session(request, session_id)
    try:
        evaluation = services.check_may_answer(
            member=member_profile(request.user), session=session, now=timezone.now()
        )
    except services.EvaluationRefused as refused:
        return _refusal(refused)
    return {
        "session_id": session.pk,
        "session": session.display_title,
        "training_class": session.training_class.title,
        "teacher": session.teacher.name,
        "intro": evaluation.standard_form.intro,
        "closes_at": evaluation.closes_at,
        "questions": [_question_payload(q, evaluation) for q in services.evaluation_questions(evaluation)],
    }


@router.post(
    "/sessions/{session_id}/evaluation",
    response={
        201: SubmittedOut,
        400: AnswersInvalidOut,
        403: RefusalOut | Message,
        404: Message,
        409: RefusalOut,
    },
    summary="Answer a session's evaluation (once, anonymously)",
)
def evaluation_answer(request, session_id: int, payload: AnswersIn):
    session = _session(request, session_id)
    try:
        services.evaluation_submit(user=request.user, session=session, answers=payload.answers)
    except services.EvaluationRefused as refused:
        return _refusal(refused)
    except services.AnswersInvalid as invalid:
        errors = {str(key): messages for key, messages in invalid.errors.items()}
        return Status(400, {"detail": invalid.messages[0], "errors": errors})
    return Status(
        201, {"detail": _("Thank you: your evaluation was recorded anonymously."), "session_id": session.pk}
    )

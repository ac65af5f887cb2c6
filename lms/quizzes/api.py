"""API routes of lms.quizzes under /api/v1/: my quizzes, start, save an answer, submit, review.

Before review nothing says which answer is right: questions carry their text, their options in the
member's own order and the member's saved answer; the deadline is the server's (`seconds_left`)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from lms.people.api import Message
from lms.people.selectors import member_profile
from lms.quizzes import selectors, services
from lms.quizzes.models import Attempt, Paper, PaperStatus

router = Router(tags=["quizzes"])


class RefusalOut(Schema):
    detail: str
    reason: str


class AttemptBrief(Schema):
    id: int
    number: int
    status: str
    score: Decimal | None
    max_score: Decimal
    passed: bool | None


class PaperOut(Schema):
    id: int
    title: str
    kind: str
    opens_at: datetime | None
    closes_at: datetime | None
    time_limit_minutes: int | None
    attempts_allowed: int
    attempts: list[AttemptBrief]


class QuestionOut(Schema):
    position: int
    type: str
    type_label: str
    text: str
    points: Decimal
    options: list[str]
    answer: Any = None
    saved_at: datetime | None = None


class ReviewQuestionOut(QuestionOut):
    score: Decimal | None = None
    correct: str = ""
    explanation: str = ""


class AttemptOut(Schema):
    id: int
    paper_id: int
    title: str
    layout: str
    status: str
    started_at: datetime
    deadline: datetime | None
    seconds_left: int | None
    submitted_at: datetime | None
    score: Decimal | None
    max_score: Decimal
    passed: bool | None
    questions: list[QuestionOut]


class ReviewOut(AttemptOut):
    questions: list[ReviewQuestionOut]


class AnswerIn(Schema):
    value: Any = None


class SavedOut(Schema):
    position: int
    saved_at: datetime | None
    seconds_left: int | None


def _brief(attempt: Attempt) -> dict:
    released = attempt.status == "released"
    return {
        "id": attempt.pk,
        "number": attempt.number,
        "status": attempt.status,
        "score": attempt.score if released else None,
        "max_score": attempt.max_score,
        "passed": attempt.passed if released else None,
    }


def attempt_payload(attempt: Attempt, *, review: bool = False, questions: bool = True) -> dict:
    released = attempt.status == "released"
    return {
        "id": attempt.pk,
        "paper_id": attempt.paper_id,
        "title": attempt.paper.title,
        "layout": attempt.paper.layout,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "seconds_left": selectors.seconds_left(attempt),
        "submitted_at": attempt.submitted_at,
        "score": attempt.score if released else None,
        "max_score": attempt.max_score,
        "passed": attempt.passed if released else None,
        "questions": [
            selectors.question_payload(slot, question, review=review)
            for slot, question in selectors.attempt_slots(attempt)
        ]
        if questions
        else [],
    }


def _member(request):
    member = member_profile(request.user)
    if member is None:
        raise PermissionDenied(_("Only party members take quizzes."))
    return member


def _refusal(refused: services.QuizRefused):
    return Status(409, {"detail": refused.messages[0], "reason": refused.reason})


@router.get("/quizzes/mine", response=list[PaperOut], summary="The papers set for me, with my attempts")
def my_quizzes(request):
    member = _member(request)
    papers = list(selectors.papers_for_member(member)[:200])
    attempts = selectors.attempts_of_member(member, [p.pk for p in papers])
    return [
        {
            "id": paper.pk,
            "title": paper.title,
            "kind": paper.kind,
            "opens_at": paper.opens_at,
            "closes_at": paper.closes_at,
            "time_limit_minutes": paper.time_limit_minutes,
            "attempts_allowed": paper.attempts_allowed,
            "attempts": [_brief(a) for a in attempts.get(paper.pk, [])],
        }
        for paper in papers
    ]


@router.post(
    "/quizzes/papers/{paper_id}/attempts",
    response={200: AttemptOut, 404: Message, 409: RefusalOut},
    summary="Start an attempt (or resume the open one)",
)
def start(request, paper_id: int):
    """Idempotent while an attempt is open: any device gets the same attempt back."""
    paper = get_object_or_404(Paper, pk=paper_id, status=PaperStatus.PUBLISHED)
    try:
        attempt, _created = services.attempt_start(user=request.user, paper=paper)
    except services.QuizRefused as refused:
        return _refusal(refused)
    return attempt_payload(attempt)


def _own_attempt(request, attempt_id: int) -> Attempt:
    attempt = selectors.attempt_for_user(request.user, attempt_id)
    if attempt is None:
        raise Http404
    return attempt


@router.get(
    "/quizzes/attempts/{attempt_id}",
    response={200: AttemptOut, 404: Message},
    summary="My attempt, to take or resume",
)
def attempt_detail(request, attempt_id: int):
    return attempt_payload(_own_attempt(request, attempt_id))


@router.put(
    "/quizzes/attempts/{attempt_id}/answers/{position}",
    response={200: SavedOut, 400: RefusalOut, 404: Message, 409: RefusalOut},
    summary="Save one answer",
)
def save_answer(request, attempt_id: int, position: int, payload: AnswerIn):
    """`value`: a choice's position as shown (a list of them for multiple choice), or text. Refused
    (409 `time_up`) after the deadline by the server's clock."""
    try:
        slot = services.attempt_save_answer(
            user=request.user, attempt_id=attempt_id, position=position, value=payload.value
        )
    except PermissionDenied:
        raise Http404 from None
    except services.QuizRefused as refused:
        status = 400 if refused.reason in ("invalid", "no_question") else 409
        return Status(status, {"detail": refused.messages[0], "reason": refused.reason})
    return {
        "position": slot.position,
        "saved_at": slot.saved_at,
        "seconds_left": selectors.seconds_left(slot.attempt),
    }


@router.post(
    "/quizzes/attempts/{attempt_id}/submit",
    response={200: AttemptOut, 404: Message},
    summary="Submit my attempt",
)
def submit(request, attempt_id: int):
    """Submitting again returns the submitted attempt. The answer has the result (when released) and
    no questions: GET the attempt, or its review, for them."""
    try:
        attempt = services.attempt_submit(user=request.user, attempt_id=attempt_id)
    except PermissionDenied:
        raise Http404 from None
    return attempt_payload(attempt, questions=False)


@router.get(
    "/quizzes/attempts/{attempt_id}/review",
    response={200: ReviewOut, 404: Message, 409: RefusalOut},
    summary="Review: answers and explanations, as the paper allows",
)
def review(request, attempt_id: int):
    attempt = _own_attempt(request, attempt_id)
    if not selectors.review_allowed(attempt):
        return Status(
            409, {"detail": _("Answers are not shown for this attempt yet."), "reason": "not_reviewable"}
        )
    return attempt_payload(attempt, review=True)

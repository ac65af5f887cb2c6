"""The member's evaluations (mobile first): what they may still evaluate, and the form itself.

The form is plain HTML (radio buttons, checkboxes, a text area), so it works on any phone browser
without scripts; errors come back per question with the answers given so far kept."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from lms.evaluation import selectors, services
from lms.evaluation.models import MultipleChoiceQuestion
from lms.people.selectors import member_profile
from lms.scheduling.models import Session

ANSWERED_SHOWN_DAYS = 90


@login_required
def my_evaluations(request):
    member = member_profile(request.user)
    now = timezone.now()
    return render(
        request,
        "evaluation/my_evaluations.html",
        {
            "member": member,
            "open_evaluations": selectors.member_open_evaluations(member, now),
            "answered": selectors.member_answered_sessions(member, now - timedelta(days=ANSWERED_SHOWN_DAYS)),
        },
    )


def answers_from_post(questions, post) -> dict:
    """The posted form as the service takes it: question id → value (a list for multiple choice)."""
    answers = {}
    for question in questions:
        name = f"q{question.pk}"
        if isinstance(question, MultipleChoiceQuestion):
            answers[str(question.pk)] = post.getlist(name)
        else:
            answers[str(question.pk)] = post.get(name)
    return answers


@login_required
@require_http_methods(["GET", "POST"])
def evaluate(request, session_id: int):
    session = get_object_or_404(Session.objects.select_related("training_class", "teacher"), pk=session_id)
    now = timezone.now()
    try:
        evaluation = services.check_may_answer(member=member_profile(request.user), session=session, now=now)
    except services.EvaluationRefused as refused:
        status = 409 if refused.reason in ("answered", "closed", "not_open") else 403
        context = {"session": session, "refused": refused, "reason": refused.reason}
        return render(request, "evaluation/refused.html", context, status=status)
    questions = services.evaluation_questions(evaluation)
    errors, given = {}, {}
    if request.method == "POST":
        given = answers_from_post(questions, request.POST)
        try:
            services.evaluation_submit(user=request.user, session=session, answers=given, now=now)
        except services.AnswersInvalid as invalid:
            errors = invalid.errors
        except services.EvaluationRefused as refused:
            context = {"session": session, "refused": refused, "reason": refused.reason}
            return render(request, "evaluation/refused.html", context, status=409)
        else:
            return redirect("evaluation:thanks", session_id=session.pk)
    items = [
        {"question": question, "errors": errors.get(question.pk, []), "given": given.get(str(question.pk))}
        for question in questions
    ]
    context = {
        "session": session,
        "evaluation": evaluation,
        "items": items,
        "has_errors": bool(errors),
        "standard_count": sum(1 for q in questions if q.questionnaire_id == evaluation.standard_form_id),
    }
    return render(request, "evaluation/evaluate.html", context, status=400 if errors else 200)


@login_required
def thanks(request, session_id: int):
    session = get_object_or_404(Session.objects.select_related("training_class", "teacher"), pk=session_id)
    member = member_profile(request.user)
    next_ones = selectors.member_open_evaluations(member)
    return render(request, "evaluation/thanks.html", {"session": session, "open_evaluations": next_ones})

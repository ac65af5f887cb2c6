"""Member pages of lms.quizzes (phone first): my quizzes, taking an attempt, the result."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from lms.people.selectors import member_profile
from lms.quizzes import selectors, services
from lms.quizzes.models import Paper, PaperStatus


@login_required
def my_quizzes(request):
    member = member_profile(request.user)
    papers = list(selectors.papers_for_member(member)[:100]) if member else []
    attempts = selectors.attempts_of_member(member, [p.pk for p in papers]) if member else {}
    rows = [{"paper": paper, "attempts": attempts.get(paper.pk, [])} for paper in papers]
    return render(request, "quizzes/my_quizzes.html", {"member": member, "rows": rows})


@login_required
@require_POST
def start(request, paper_id: int):
    paper = get_object_or_404(Paper, pk=paper_id, status=PaperStatus.PUBLISHED)
    try:
        attempt, _created = services.attempt_start(user=request.user, paper=paper)
    except services.QuizRefused as refused:
        messages.error(request, refused.messages[0])
        return redirect("quizzes:mine")
    return redirect("quizzes:attempt", attempt_id=attempt.pk)


@login_required
def attempt(request, attempt_id: int):
    found = selectors.attempt_for_user(request.user, attempt_id)
    if found is None:
        raise Http404
    if not found.is_open:
        return redirect("quizzes:result", attempt_id=found.pk)
    slots = [
        selectors.question_payload(slot, question, review=False)
        for slot, question in selectors.attempt_slots(found)
    ]
    return render(
        request,
        "quizzes/attempt.html",
        {"attempt": found, "questions": slots, "seconds_left": selectors.seconds_left(found)},
    )


@login_required
def result(request, attempt_id: int):
    found = selectors.attempt_for_user(request.user, attempt_id)
    if found is None:
        raise Http404
    if found.is_open:
        return redirect("quizzes:attempt", attempt_id=found.pk)
    review = selectors.review_allowed(found)
    questions = (
        [
            selectors.question_payload(slot, question, review=True)
            for slot, question in selectors.attempt_slots(found)
        ]
        if review
        else []
    )
    return render(
        request, "quizzes/result.html", {"attempt": found, "review": review, "questions": questions}
    )

"""The teacher's own feedback (mobile first): their evaluated sessions with the response counts and
whether results are shown yet, the years with a link to the printable yearly report, and one
session's aggregated result (the same partial as the admin's).

A teacher sees only their own sessions (another's is a 404); someone who is not a pool teacher gets
a page saying so."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from lms.evaluation import results, selectors
from lms.people.selectors import teacher_profile

PER_PAGE = 50


def not_a_teacher(request):
    return render(request, "evaluation/feedback_not_teacher.html", {})


@login_required
def my_feedback(request):
    teacher = teacher_profile(request.user)
    if teacher is None:
        return not_a_teacher(request)
    now = timezone.now()
    minimum = results.min_responses()
    page = Paginator(selectors.teacher_evaluations(teacher), PER_PAGE).get_page(request.GET.get("p"))
    rows = [
        {
            "evaluation": evaluation,
            "session": evaluation.session,
            "is_closed": now >= evaluation.closes_at,
            "is_shown": now >= evaluation.closes_at
            and not evaluation.sealed
            and evaluation.responses >= minimum,
        }
        for evaluation in page.object_list
    ]
    years = selectors.teacher_evaluation_years(teacher)
    context = {
        "teacher": teacher,
        "rows": rows,
        "page": page,
        "min_responses": minimum,
        "years": [
            {"year": year, "url": reverse("evaluation_feedback:teacher_report", args=[teacher.pk, year])}
            for year in years
        ],
    }
    return render(request, "evaluation/feedback.html", context)


@login_required
def my_session_feedback(request, session_id: int):
    teacher = teacher_profile(request.user)
    if teacher is None:
        return not_a_teacher(request)
    evaluation = selectors.teacher_evaluation(teacher, session_id)
    if evaluation is None:
        raise Http404
    context = {
        "teacher": teacher,
        "evaluation": evaluation,
        "session": evaluation.session,
        "result": results.session_result(evaluation, timezone.now()),
    }
    return render(request, "evaluation/feedback_session.html", context)

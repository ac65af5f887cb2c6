"""The teacher's own feedback (mobile first): their evaluated sessions with the response counts and
whether results are shown yet, the years with a link to the printable yearly report, and one
session's aggregated result (the same partial as the admin's).

A teacher sees only their own sessions (another's is a 404); someone who is not a pool teacher gets
a page saying so."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from lms.evaluation import results
from lms.evaluation.models import SessionEvaluation
from lms.people.models import Teacher
from lms.people.selectors import teacher_profile

PER_PAGE = 50


def own_evaluations(teacher: Teacher):
    return (
        SessionEvaluation.objects.filter(teacher=teacher)
        .select_related("session__training_class__school")
        .annotate(responses=Count("submissions"))
        .order_by("-opens_at", "pk")
    )


def not_a_teacher(request):
    return render(request, "evaluation/feedback_not_teacher.html", {})


@login_required
def my_feedback(request):
    teacher = teacher_profile(request.user)
    if teacher is None:
        return not_a_teacher(request)
    now = timezone.now()
    minimum = results.min_responses()
    page = Paginator(own_evaluations(teacher), PER_PAGE).get_page(request.GET.get("p"))
    rows = [
        {
            "evaluation": evaluation,
            "session": evaluation.session,
            "is_closed": now >= evaluation.closes_at,
            "is_shown": now >= evaluation.closes_at and evaluation.responses >= minimum,
        }
        for evaluation in page.object_list
    ]
    years = (
        SessionEvaluation.objects.filter(teacher=teacher)
        .annotate(year=ExtractYear("session__starts_at"))
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )
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
    evaluation = get_object_or_404(
        SessionEvaluation.objects.select_related("session__training_class__school", "teacher"),
        session_id=session_id,
        teacher=teacher,
    )
    context = {
        "teacher": teacher,
        "evaluation": evaluation,
        "session": evaluation.session,
        "result": results.session_result(evaluation, timezone.now()),
    }
    return render(request, "evaluation/feedback_session.html", context)

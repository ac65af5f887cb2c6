"""The teachers' blind marking queue (site pages: teachers are not admin users)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from lms.people.selectors import teacher_profile
from lms.quizzes import selectors, services
from lms.quizzes.models import Question


@login_required
def marking_queue(request):
    if teacher_profile(request.user) is None:
        raise PermissionDenied
    page = Paginator(selectors.marking_queue(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "quizzes/marking_queue.html", {"page": page})


@login_required
def mark_essay(request, slot_id: int):
    slot = selectors.marking_queue(request.user).filter(pk=slot_id).first()
    if slot is None:
        raise Http404
    question = Question.objects.get(pk=slot.question_id)
    error = None
    if request.method == "POST":
        try:
            services.essay_mark(
                user=request.user,
                slot_id=slot.pk,
                score=request.POST.get("score", ""),
                comment=request.POST.get("comment", ""),
            )
        except services.QuizRefused as refused:
            error = refused.messages[0]
        else:
            messages.success(request, _saved_message())
            return redirect("quizzes:marking")
    return render(request, "quizzes/mark_essay.html", {"slot": slot, "question": question, "error": error})


def _saved_message():
    from django.utils.translation import gettext as _

    return _("Mark saved.")

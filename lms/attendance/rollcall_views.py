"""Member pages about leave: ask to be excused from one session, one day of a class or the whole
class, before the sessions start. The page shows which sessions the request covers and which are left
out (started); the service decides (enrolled, a reason, no overlap) and its refusal is shown."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lms.attendance import leave as leave_reads
from lms.attendance import services
from lms.people.selectors import member_profile
from lms.scheduling.models import PUBLIC_STATUSES, Session, TrainingClass


def _refusal(error: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(error, ValidationError):
        return list(error.messages)
    return [str(error) or _("You do not have permission to do this.")]


def _leave_page(request, training_class: TrainingClass, *, session=None, day=None):
    member = member_profile(request.user)
    plan = leave_reads.leave_plan(member=member, training_class=training_class, session=session, day=day)
    errors: list[str] = []
    reason = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            services.leave_request_submit(
                user=request.user, reason=reason, session=session, training_class=training_class, day=day
            )
        except (ValidationError, PermissionDenied) as error:
            errors = _refusal(error)
        else:
            messages.success(
                request,
                _("Your leave request for %(scope)s has been sent; the school will decide on it.")
                % {"scope": plan.words},
            )
            if plan.started and session is None:
                messages.info(
                    request,
                    _("Sessions that have started are not included: %(sessions)s.")
                    % {"sessions": leave_reads.list_words(plan.started)},
                )
            return redirect("scheduling:my_classes")
    existing = plan.same or (plan.overlapping[0] if plan.overlapping else None)
    if existing is None and member is not None and session is not None:
        latest = leave_reads.member_leave_by_session(member, [session.pk]).get(session.pk)
        existing = latest.leave if latest else None
    return render(
        request,
        "attendance/leave_request.html",
        {
            "training_class": training_class,
            "session": session,
            "plan": plan,
            "existing": existing,
            "existing_words": leave_reads.leave_words(existing) if existing else "",
            "reason": reason or (plan.same.reason if plan.same else ""),
            "errors": errors,
        },
    )


def _public_classes():
    return TrainingClass.objects.select_related("school").filter(status__in=PUBLIC_STATUSES)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def leave_request(request, pk: int):
    """请假: one session."""
    session = get_object_or_404(
        Session.objects.select_related("training_class", "training_class__school", "teaching_point"),
        pk=pk,
        training_class__status__in=PUBLIC_STATUSES,
    )
    return _leave_page(request, session.training_class, session=session)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def leave_request_day(request, pk: int, day: str):
    """请假一天: every session of one day of the class."""
    training_class = get_object_or_404(_public_classes(), pk=pk)
    try:
        on = date.fromisoformat(day)
    except ValueError:
        raise Http404(_("No such day.")) from None
    return _leave_page(request, training_class, day=on)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def leave_request_class(request, pk: int):
    """整个培训班请假: every session of the class that has not started."""
    training_class = get_object_or_404(_public_classes(), pk=pk)
    return _leave_page(request, training_class)

"""Member pages about leave: ask to be excused from a session, before it starts. The service decides
(enrolled, before the start, a reason); its refusal is shown on the form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lms.attendance import services
from lms.attendance.models import LeaveRequest
from lms.people.selectors import member_profile
from lms.scheduling.models import PUBLIC_STATUSES, Session


def _refusal(error: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(error, ValidationError):
        return list(error.messages)
    return [str(error) or _("You do not have permission to do this.")]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def leave_request(request, pk: int):
    """请假: the session, the member's request for it (if any) and a form with the reason."""
    session = get_object_or_404(
        Session.objects.select_related("training_class", "training_class__school", "teaching_point"),
        pk=pk,
        training_class__status__in=PUBLIC_STATUSES,
    )
    member = member_profile(request.user)
    errors: list[str] = []
    reason = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            services.leave_request_submit(user=request.user, session=session, reason=reason)
        except (ValidationError, PermissionDenied) as error:
            errors = _refusal(error)
        else:
            messages.success(
                request,
                _("Your leave request for “%(session)s” has been sent; the school will decide on it.")
                % {"session": session.display_title},
            )
            return redirect("scheduling:my_classes")
    existing = LeaveRequest.objects.filter(session=session, member=member).first() if member else None
    return render(
        request,
        "attendance/leave_request.html",
        {
            "session": session,
            "existing": existing,
            "reason": reason or (existing.reason if existing else ""),
            "errors": errors,
            "started": session.starts_at <= timezone.now(),
        },
    )

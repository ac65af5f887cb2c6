"""Leave requests in the admin: the pending requests for the user's classes, each with its scope in
words (one session, a day, the whole class) and approve and reject buttons that POST once to
`leave_request_decide` for every session it covers, and the latest decisions below. A request
outside the user's scope is a 404."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.attendance import leave as leave_reads
from lms.attendance import services
from lms.attendance.admin.rollcall_views import error_messages
from lms.attendance.models import LeaveStatus

RECENT_DECISIONS = 20


class LeaveRequestListView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "attendance/admin/leave_requests.html"
    page_title = gettext_lazy("Leave requests")
    header_icon = "calendar-check"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        requests = leave_reads.leave_requests_for_staff(self.request.user)
        pending = list(
            requests.filter(status=LeaveStatus.PENDING).order_by("first_starts_at", "requested_at")
        )
        decided = list(
            requests.exclude(status=LeaveStatus.PENDING).order_by("-decided_at", "-id")[:RECENT_DECISIONS]
        )
        for leave in pending + decided:
            leave.words = leave_reads.leave_words(leave)
        context.update(pending=pending, decided=decided)
        return context


class LeaveDecideView(View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        leave = get_object_or_404(leave_reads.leave_requests_for_staff(request.user), pk=pk)
        decision = request.POST.get("decision")
        if decision not in ("approve", "reject"):
            messages.error(request, _("Choose approve or reject."))
            return redirect(reverse("attendance_leave:index"))
        approve = decision == "approve"
        try:
            result = services.leave_request_decide(actor=request.user, leave=leave, approve=approve)
        except (ValidationError, PermissionDenied) as error:
            for message in error_messages(error):
                messages.error(request, message)
        else:
            names = {"name": leave.member.name, "scope": leave_reads.leave_words(leave)}
            if not approve:
                messages.success(request, _("Leave rejected for %(name)s (%(scope)s).") % names)
            else:
                messages.success(request, _("Leave approved: %(name)s is excused from %(scope)s.") % names)
            for record in result.kept:
                messages.warning(
                    request,
                    _("%(name)s was already marked %(status)s at %(session)s; that record is kept.")
                    % {
                        "name": leave.member.name,
                        "status": record.get_status_display(),
                        "session": leave_reads.session_words(record.session),
                    },
                )
        return redirect(reverse("attendance_leave:index"))

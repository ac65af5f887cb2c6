"""Leave requests in the admin: the pending requests for the user's sessions, each with approve and
reject buttons that POST to `leave_request_decide`, and the latest decisions below. A request
outside the user's scope is a 404."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.attendance import selectors, services
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
        requests = selectors.leave_requests_for_staff(self.request.user)
        context.update(
            pending=requests.filter(status=LeaveStatus.PENDING).order_by(
                "session__starts_at", "requested_at"
            ),
            decided=requests.exclude(status=LeaveStatus.PENDING).order_by("-decided_at", "-id")[
                :RECENT_DECISIONS
            ],
        )
        return context


class LeaveDecideView(View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        leave = get_object_or_404(selectors.leave_requests_for_staff(request.user), pk=pk)
        approve = request.POST.get("decision") == "approve"
        try:
            services.leave_request_decide(actor=request.user, leave=leave, approve=approve)
        except (ValidationError, PermissionDenied) as error:
            for message in error_messages(error):
                messages.error(request, message)
        else:
            names = {"name": leave.member.name, "session": leave.session.display_title}
            if approve:
                messages.success(request, _("Leave approved: %(name)s is excused from %(session)s.") % names)
            else:
                messages.success(request, _("Leave rejected for %(name)s (%(session)s).") % names)
        return redirect(reverse("attendance_leave:index"))

"""未送达的提醒 in Wagtail's admin (the organization department): the e-mail and SMS that failed after
NOTIFICATIONS_MAX_ATTEMPTS, or are still `sending` past NOTIFICATIONS_CLAIM_TIMEOUT, with the last
error, and 重新发送 for a failed one once the gateway or mail server is fixed."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.attendance.admin.reports_common import ReportBreadcrumbsMixin, forbidden
from lms.notifications import selectors, services
from lms.notifications.texts import render
from lms.people.selectors import is_org_dept

PAGE_SIZE = 50


class UndeliveredView(ReportBreadcrumbsMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "notifications/admin/undelivered.html"
    page_title = gettext_lazy("Undelivered reminders")
    header_icon = "warning"

    def dispatch(self, request, *args, **kwargs):
        if not is_org_dept(request.user):
            return forbidden(request, self.page_title, _("Only the organization department sees them."))
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        try:
            delivery_id = int(request.POST.get("delivery", ""))
            services.delivery_retry(actor=request.user, delivery_id=delivery_id)
        except (ValueError, ValidationError):
            messages.error(request, _("Only a failed delivery can be sent again."))
        else:
            messages.success(request, _("The reminder will be sent again."))
        return redirect(request.get_full_path())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(selectors.deliveries_undelivered(), PAGE_SIZE).get_page(self.request.GET.get("p"))
        for delivery in page:
            delivery.title = render(delivery.notification.kind, delivery.notification.context).title
        context.update(page=page, deliveries=list(page))
        return context

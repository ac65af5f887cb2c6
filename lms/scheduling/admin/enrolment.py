"""A class's enrolment page: who is in it and on its waiting list, and three ways to add members
(by hand, a whole branch, a category), each through the enrolment services, whose report is shown
as messages (a summary, then every refused member with the reason)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.scheduling import selectors, services
from lms.scheduling.admin.actions import ScopedClassMixin, error_messages
from lms.scheduling.admin.forms import EnrolBranchForm, EnrolCategoryForm, EnrolMembersForm
from lms.scheduling.models import EnrollmentStatus

ENROL_ACTIONS = ("members", "branch", "category")


class EnrolmentView(ScopedClassMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "scheduling/admin/enrolment.html"
    page_title = gettext_lazy("Enrolment")
    header_icon = "group"

    @property
    def search(self) -> str:
        return self.request.GET.get("q", "").strip()[:50]

    @property
    def enrolment_url(self) -> str:
        return self.request.path

    def get_forms(self, action: str = "", data=None) -> dict:
        user, training_class = self.request.user, self.object
        return {
            "members": EnrolMembersForm(
                data if action == "members" else None,
                user=user,
                training_class=training_class,
                search=self.search,
                prefix="members",
            ),
            "branch": EnrolBranchForm(data if action == "branch" else None, user=user, prefix="branch"),
            "category": EnrolCategoryForm(
                data if action == "category" else None, user=user, prefix="category"
            ),
        }

    def get_context_data(self, *, forms=None, **kwargs):
        context = super().get_context_data(**kwargs)
        enrollments = list(selectors.enrollments_of(self.object))
        context.update(
            object=self.object,
            edit_url=self.edit_url,
            enrolled=[e for e in enrollments if e.status == EnrollmentStatus.ENROLLED],
            waitlisted=[e for e in enrollments if e.status == EnrollmentStatus.WAITLISTED],
            forms=forms or self.get_forms(),
            search=self.search,
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "")
        if action == "withdraw":
            return self.withdraw(request.POST.get("enrollment", ""))
        if action not in ENROL_ACTIONS:
            return redirect(self.enrolment_url)
        forms = self.get_forms(action, request.POST)
        form = forms[action]
        if not form.is_valid():
            messages.error(request, _("Nobody was enrolled due to errors."))
            return self.render_to_response(self.get_context_data(forms=forms))
        try:
            report, unknown = self.enrol(action, form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            for message in error_messages(error):
                messages.error(request, message)
            return redirect(self.enrolment_url)
        self.show_report(report, unknown)
        return redirect(self.enrolment_url)

    def enrol(self, action: str, data: dict):
        actor, training_class = self.request.user, self.object
        if action == "members":
            report = services.enrolment_add(
                actor=actor, training_class=training_class, members=data["chosen"]
            )
            return report, data["unknown_phones"]
        if action == "branch":
            return services.enrolment_add_branch(
                actor=actor, training_class=training_class, branch=data["branch"]
            ), []
        return services.enrolment_add_category(
            actor=actor, training_class=training_class, category=data["category"], township=data["township"]
        ), []

    def show_report(self, report, unknown_phones: list[str]) -> None:
        refused = len(report.refused) + len(unknown_phones)
        summary = report.summary()
        (messages.warning if refused else messages.success)(self.request, summary)
        for member, reason in report.refused:
            messages.error(self.request, _("%(name)s: %(reason)s") % {"name": member.name, "reason": reason})
        for phone in unknown_phones:
            messages.error(
                self.request,
                _("%(phone)s: no member you may enrol has this phone number.") % {"phone": phone},
            )

    def withdraw(self, enrollment_pk: str):
        enrollment = get_object_or_404(
            selectors.enrollments_of(self.object), pk=enrollment_pk if enrollment_pk.isdigit() else 0
        )
        try:
            promoted = services.enrolment_withdraw(actor=self.request.user, enrollment=enrollment)
        except (ValidationError, PermissionDenied) as error:
            for message in error_messages(error):
                messages.error(self.request, message)
            return redirect(self.enrolment_url)
        messages.success(
            self.request, _("%(name)s is withdrawn from the class.") % {"name": enrollment.member.name}
        )
        if promoted is not None:
            messages.success(
                self.request,
                _("%(name)s moved up from the waiting list.") % {"name": promoted.member.name},
            )
        return redirect(self.enrolment_url)

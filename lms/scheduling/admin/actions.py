"""Publish, back to draft, cancel and copy: each a confirmation page (GET) whose form POSTs to one
service. The class is loaded from the user's scope (404 outside it); the service checks again."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.people.admin.forms import add_service_errors
from lms.scheduling import rules, selectors, services
from lms.scheduling.admin.forms import CancelClassForm, CopyClassForm
from lms.scheduling.admin.permissions import training_class_permission_policy
from lms.scheduling.models import TrainingClass


def error_messages(error: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(error, PermissionDenied):
        return [str(error) or _("You may not do this.")]
    return list(error.messages)


class ScopedClassMixin:
    """Load the class from the user's scope: 404 outside it, PermissionDenied without the model
    permission (Wagtail answers that with a redirect and a message)."""

    permission_required = "change"
    index_url_name: str = ""
    edit_url_name: str = ""

    def dispatch(self, request, *args, pk, **kwargs):
        if not training_class_permission_policy.user_has_permission(request.user, self.permission_required):
            raise PermissionDenied
        self.object = get_object_or_404(selectors.classes_for_user(request.user), pk=pk)
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def edit_url(self) -> str:
        return reverse(self.edit_url_name, args=[self.object.pk])

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": TrainingClass._meta.verbose_name_plural},
            {"url": self.edit_url, "label": str(self.object)},
            {"url": "", "label": self.get_page_title()},
        ]


class ClassActionView(ScopedClassMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "scheduling/admin/class_action.html"
    header_icon = "date"
    form_class = None
    intro = ""
    submit_label = ""

    def get_form(self, data=None):
        return self.form_class(data) if self.form_class else None

    def get_context_data(self, *, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            object=self.object,
            form=form or self.get_form(),
            intro=self.intro,
            submit_label=self.submit_label,
            edit_url=self.edit_url,
        )
        return context

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if form is not None and not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            return self.act(form.cleaned_data if form is not None else {})
        except (ValidationError, PermissionDenied) as error:
            if form is None:
                for message in error_messages(error):
                    messages.error(request, message)
                return redirect(self.edit_url)
            if isinstance(error, PermissionDenied):
                error = ValidationError(error_messages(error))
            add_service_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form))

    def act(self, data: dict):
        raise NotImplementedError


class PublishView(ClassActionView):
    page_title = gettext_lazy("Publish")
    intro = gettext_lazy("Once published, the class is on the school's timetable and members can be told.")
    submit_label = gettext_lazy("Publish")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["violations"] = rules.class_violations(selectors.class_detail(self.object.pk))
        return context

    def act(self, data):
        services.training_class_publish(actor=self.request.user, training_class=self.object)
        messages.success(self.request, _("“%(title)s” is published.") % {"title": self.object.title})
        return redirect(self.edit_url)


class UnpublishView(ClassActionView):
    page_title = gettext_lazy("Back to draft")
    intro = gettext_lazy("The class leaves the timetable until it is published again.")
    submit_label = gettext_lazy("Back to draft")

    def act(self, data):
        services.training_class_unpublish(actor=self.request.user, training_class=self.object)
        messages.success(self.request, _("“%(title)s” is a draft again.") % {"title": self.object.title})
        return redirect(self.edit_url)


class CancelView(ClassActionView):
    page_title = gettext_lazy("Cancel the class")
    intro = gettext_lazy("Its teachers, teaching point and rooms become free again. This cannot be undone.")
    submit_label = gettext_lazy("Cancel the class")
    form_class = CancelClassForm

    def act(self, data):
        services.training_class_cancel(
            actor=self.request.user, training_class=self.object, reason=data["reason"]
        )
        messages.success(self.request, _("“%(title)s” is cancelled.") % {"title": self.object.title})
        return redirect(self.edit_url)


class CopyView(ClassActionView):
    page_title = gettext_lazy("Copy to a new date")
    intro = gettext_lazy(
        "A new draft with the same timetable, moved to the new first day (without the enrolments)."
    )
    submit_label = gettext_lazy("Copy")
    form_class = CopyClassForm
    permission_required = "add"

    def act(self, data):
        copy = services.training_class_copy(
            actor=self.request.user,
            training_class=self.object,
            start_date=data["start_date"],
            title=data["title"],
        )
        messages.success(
            self.request,
            _("Copied to %(date)s as a new draft; check the timetable before publishing.")
            % {"date": copy.start_date},
        )
        return redirect(reverse(self.edit_url_name, args=[copy.pk]))

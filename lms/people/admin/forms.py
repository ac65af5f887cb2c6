"""Admin forms for people. Choices are limited to what the user manages, so a foreign id posted by
hand fails validation like any invalid choice."""

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from lms.people import selectors, services
from lms.people.models import Branch, TeacherCategory, TeacherReviewDecision


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the field it names if the form has it."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class ServiceErrorsOnFormMixin:
    """For Wagtail create/edit views whose `save_instance` calls a service: the service's
    ValidationError (or PermissionDenied) is shown on the form and nothing is saved."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, PermissionDenied):
                error = ValidationError(str(error))
            add_service_errors(form, error)
            self.produced_error_code = "validation_error"
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class BranchAdminForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user or AnonymousUser()
        if "township" in self.fields:
            self.fields["township"].queryset = selectors.townships_managed_by(user).order_by("path")


def branch_label(branch: Branch) -> str:
    return f"{branch.township.title} · {branch.name}"


class MemberAdminForm(WagtailAdminModelForm):
    """Saved by the views through services.member_upsert, never by `form.save()`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user or AnonymousUser()
        branch_field = self.fields["branch"]
        branch_field.queryset = selectors.branches_for_user(user).order_by("township__path", "name")
        branch_field.label_from_instance = branch_label
        if self.instance.pk:
            # The phone is the member's login and natural key (member_upsert finds members by it).
            phone = self.fields["phone"]
            phone.disabled = True
            phone.help_text = _("The phone number is the member's login and cannot be changed here.")

    def clean_phone(self):
        return services.normalise_phone(self.cleaned_data["phone"])


class TeacherReviewRowForm(forms.Form):
    """One teacher's line in the yearly review."""

    teacher = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Decision"),
        required=False,
        choices=[("", _("Not reviewed yet")), *TeacherReviewDecision.choices],
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, teacher_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teacher"].choices = [(pk, pk) for pk in teacher_ids]

    def clean(self):
        cleaned = super().clean()
        if "decision" in self.changed_data and not cleaned.get("decision"):
            raise ValidationError(_("A recorded decision cannot be cleared; choose another decision."))
        return cleaned


TeacherReviewFormSet = forms.formset_factory(TeacherReviewRowForm, extra=0)


class NewPoolTeacherForm(forms.Form):
    """A teacher who joins the pool in the year under review."""

    name = forms.CharField(label=_("Name"), max_length=100)
    category = forms.ChoiceField(label=_("Category"), choices=TeacherCategory.choices)
    organisation = forms.CharField(label=_("Organisation and post"), max_length=200, required=False)
    subjects = forms.CharField(
        label=_("Subjects"),
        max_length=500,
        required=False,
        help_text=_("What they teach, separated by commas."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

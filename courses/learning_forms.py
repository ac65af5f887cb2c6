"""The course page's editing form: the audience as check boxes, branches limited to the editor's."""

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm

from lms.people.models import MemberCategory


class CoursePageForm(WagtailAdminPageForm):
    audience_categories = forms.MultipleChoiceField(
        label=_("Audience: member categories"),
        choices=MemberCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Leave empty for every category."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from lms.people.selectors import branches_for_user  # selectors import the page models

        if "audience_branches" in self.fields:
            user = self.for_user or AnonymousUser()
            self.fields["audience_branches"].queryset = branches_for_user(user).order_by(
                "township__path", "name"
            )

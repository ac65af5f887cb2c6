"""The editing forms of the course and teaching point pages: the audience as check boxes, branches and
videos limited to those the editor manages (a township's staff never choose another school's video)."""

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm

from lms.people.models import MemberCategory


def _videos_for(user):
    from lms.vod.selectors import videos_for_staff  # vod's selectors import the people app

    return videos_for_staff(user).order_by("-created_at")


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

        user = self.for_user or AnonymousUser()
        if "audience_branches" in self.fields:
            self.fields["audience_branches"].queryset = branches_for_user(user).order_by(
                "township__path", "name"
            )
        lessons = self.formsets.get("lessons") if hasattr(self, "formsets") else None
        if lessons is not None:
            videos = _videos_for(user)

            class ScopedLessonForm(lessons.form):
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    if "video" in self.fields:
                        self.fields["video"].queryset = videos

            # On this formset only (its rows are built lazily, the empty row for "add" too).
            lessons.form = ScopedLessonForm


class TeachingPointPageForm(WagtailAdminPageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "hall_video" in self.fields:
            self.fields["hall_video"].queryset = _videos_for(self.for_user or AnonymousUser())

"""Admin forms for classes, enrolment and plans. Choices are limited to what the user manages, so a
foreign id posted by hand fails validation like any invalid choice. None of these forms saves
anything: the views hand their cleaned data to `lms.scheduling.services`."""

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import InlinePanel
from wagtail.admin.widgets import AdminDateInput

from courses.models import CourseModule, TeachingPointPage
from lms.people import selectors as people_selectors
from lms.people.admin.forms import branch_label
from lms.people.models import MemberCategory, Teacher
from lms.scheduling import selectors, teaching_points
from lms.scheduling.models import PlannedClass


def school_label(school) -> str:
    return school.title


def planned_class_label(planned) -> str:
    return f"{planned.plan.year} · {planned.plan.school.title} · {planned.title}"


def member_label(member) -> str:
    return f"{member.name} · {member.phone} · {member.branch.name}"


class TimetableContext:
    """What every session row of one class form shares: the grouped teaching points with their
    schools, the class's school, and the teachers already chosen (loaded in one query)."""

    def __init__(self, *, school, training_class_id, teacher_ids):
        self.school = school
        self.training_class_id = training_class_id
        self.point_choices, self.point_schools = teaching_points.grouped_point_choices(class_school=school)
        self.point_titles = {pk: title for _group, options in self.point_choices[1:] for pk, title in options}
        teacher_ids = {int(pk) for pk in teacher_ids if str(pk).isdigit()}
        self.teachers = Teacher.objects.in_bulk(teacher_ids) if teacher_ids else {}


class TrainingClassAdminForm(WagtailAdminModelForm):
    """The class and (through its `sessions` formset) its timetable. Saved by the views through
    `services.training_class_save`, never by `form.save()` alone."""

    audience_categories = forms.MultipleChoiceField(
        label=_("Audience: member categories"),
        choices=MemberCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Leave empty for every category."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user or AnonymousUser()
        if "school" in self.fields:
            school = self.fields["school"]
            school.queryset = selectors.schools_for_user(user)
            school.label_from_instance = school_label
        if "audience_branches" in self.fields:
            branches = self.fields["audience_branches"]
            branches.queryset = people_selectors.branches_for_user(user).order_by("township__path", "name")
            branches.label_from_instance = branch_label
        if "planned_class" in self.fields:
            planned = self.fields["planned_class"]
            planned.queryset = PlannedClass.objects.filter(
                plan__in=selectors.plans_for_user(user)
            ).select_related("plan", "plan__school")
            planned.label_from_instance = planned_class_label
        if "sessions" in self.formsets:
            # Before the formset builds its forms (it does so lazily), so every row gets it.
            self.formsets["sessions"].form_kwargs["timetable"] = self._timetable_context()

    def _timetable_context(self) -> TimetableContext:
        """The class's school as it stands on the form (posted, initial, or saved) and the teachers
        the rows show."""
        formset = self.formsets["sessions"]
        school_id = self.instance.school_id
        if self.is_bound:
            school_id = self.data.get(self.add_prefix("school")) or school_id
        elif self.initial.get("school"):
            school_id = self.initial["school"]
        school = None
        if school_id and str(school_id).isdigit() and "school" in self.fields:
            school = self.fields["school"].queryset.filter(pk=school_id).first()
        elif self.instance.school_id:
            school = self.instance.school
        if formset.is_bound:
            rows = range(formset.total_form_count())
            teacher_ids = [formset.data.get(f"{formset.prefix}-{i}-teacher") for i in rows]
        else:
            teacher_ids = [session.teacher_id for session in formset.get_queryset()]
        return TimetableContext(
            school=school,
            training_class_id=self.instance.pk,
            teacher_ids=[pk for pk in teacher_ids if pk],
        )


class SessionAdminForm(WagtailAdminModelForm):
    """One row of the timetable: a teacher from the pool (chosen in a modal, see `teacher_chooser`),
    a published teaching point (grouped by township). The class's form hands every row the same
    `timetable` context (`TimetableContext`), so the rows cost no query each."""

    def __init__(self, *args, timetable: TimetableContext | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.timetable = timetable
        if "teaching_point" in self.fields:
            field = self.fields["teaching_point"]
            field.queryset = TeachingPointPage.objects.live().order_by("path")
            if timetable is not None:
                field.widget.choices = timetable.point_choices
        if "teacher" in self.fields:
            field = self.fields["teacher"]
            field.queryset = Teacher.objects.order_by("name", "id")
            if timetable is not None:
                field.widget.training_class_id = timetable.training_class_id
                field.widget.known = timetable.teachers

    def point_notice(self) -> str:
        """The row's line when its teaching point belongs to another township (allowed, but said)."""
        if self.timetable is None or "teaching_point" not in self.fields:
            return ""
        point_id = self["teaching_point"].value()
        try:
            point_id = int(point_id) if point_id else None
        except (TypeError, ValueError):
            return ""
        other = teaching_points.point_outside_township(
            point_id, class_school=self.timetable.school, schools=self.timetable.point_schools
        )
        if other is None:
            return ""
        return teaching_points.notice_text(self.timetable.point_titles.get(point_id, ""), other.title)


class PlannedClassAdminForm(WagtailAdminModelForm):
    modules = forms.MultipleChoiceField(
        label=_("Modules"),
        choices=CourseModule.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Course modules the class covers."),
    )


class AnnualPlanAdminForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user or AnonymousUser()
        if "school" in self.fields:
            school = self.fields["school"]
            school.queryset = selectors.schools_for_user(user)
            school.label_from_instance = school_label


class InlinePanelWithForm(InlinePanel):
    """An InlinePanel whose rows use `form_class` (e.g. to limit a row's choices)."""

    def __init__(self, *args, form_class=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.form_class = form_class

    def clone_kwargs(self):
        return {**super().clone_kwargs(), "form_class": self.form_class}

    def get_form_options(self):
        options = super().get_form_options()
        if self.form_class is not None:
            options["formsets"][self.relation_name]["form"] = self.form_class
        return options


# --- Class actions -------------------------------------------------------------------------------


class CancelClassForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the enrolled members and kept in the history."),
    )


class CopyClassForm(forms.Form):
    start_date = forms.DateField(label=_("New first day"), widget=AdminDateInput)
    title = forms.CharField(
        label=_("Title of the copy"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to keep the title."),
    )


# --- Enrolment -----------------------------------------------------------------------------------


PICKER_LIMIT = 200


class EnrolMembersForm(forms.Form):
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Hold Ctrl (or ⌘) to pick several."),
    )
    phones = forms.CharField(
        label=_("Or their phone numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One or more phone numbers, separated by spaces, commas or new lines."),
    )

    def __init__(self, *args, user, training_class, search: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.reachable = selectors.enrollable_members(user, training_class).order_by(
            "branch__township__path", "branch__name", "name"
        )
        field = self.fields["members"]
        field.queryset = self.reachable  # any reachable member is accepted…
        field.label_from_instance = member_label
        # …but a township has thousands: the list shows the members matching the search, at most
        # PICKER_LIMIT of them.
        shown = self.reachable
        if search:
            shown = shown.filter(
                Q(name__icontains=search) | Q(phone__contains=search) | Q(branch__name__icontains=search)
            )
        self.shown = list(shown[: PICKER_LIMIT + 1])
        self.more_than_shown = len(self.shown) > PICKER_LIMIT
        field.widget.choices = [(m.pk, member_label(m)) for m in self.shown[:PICKER_LIMIT]]

    def clean(self):
        cleaned = super().clean()
        phones = [p for p in cleaned.get("phones", "").replace(",", " ").replace("，", " ").split() if p]
        found = {m.phone: m for m in self.reachable.filter(phone__in=phones)}
        cleaned["unknown_phones"] = [p for p in phones if p not in found]
        chosen = {m.pk: m for m in cleaned.get("members") or []}
        chosen.update({m.pk: m for m in found.values()})
        if not chosen and not cleaned["unknown_phones"]:
            raise forms.ValidationError(_("Pick at least one member or give a phone number."))
        cleaned["chosen"] = list(chosen.values())
        return cleaned


class EnrolBranchForm(forms.Form):
    branch = forms.ModelChoiceField(label=_("Party branch"), queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = people_selectors.branches_for_user(user).order_by(
            "township__path", "name"
        )
        self.fields["branch"].label_from_instance = branch_label


class EnrolCategoryForm(forms.Form):
    category = forms.ChoiceField(label=_("Member category"), choices=MemberCategory.choices)
    township = forms.ModelChoiceField(
        label=_("Within the township"),
        queryset=None,
        required=False,
        empty_label=_("Every township I manage"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = people_selectors.townships_managed_by(user).order_by("path")

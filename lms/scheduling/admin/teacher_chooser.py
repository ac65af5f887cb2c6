"""The teacher chooser of the timetable editor: a modal instead of a select of the whole pool.

Each session row of the class edit page holds only the chosen teacher (an id and a name). Its
"Choose a teacher" button opens this modal with the row's start and end (Wagtail's linked fields read
them from the row) and the class being edited. The modal lists the teachers in the pool in the
session's year that the user may see, searches by name, organisation or subject, filters by pool
category and subject, and marks who is already booked at that time, with the other class's name
(`conflicts.teachers_busy`). Choosing a busy teacher is not blocked here: the conflict check on save
still refuses the double booking.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.admin.widgets.chooser import BaseChooser

from lms.people import selectors as people_selectors
from lms.people.models import Teacher, TeacherCategory
from lms.scheduling import conflicts
from lms.scheduling.admin.permissions import training_class_permission_policy

# The query parameters that carry the session row's context through search, filters and pages.
CONTEXT_PARAMETERS = ["starts_at", "ends_at", "training_class"]

SEARCH_FILTER = {"data-chooser-modal-search-filter": True}


def teacher_label(teacher: Teacher) -> str:
    return f"{teacher.name} · {teacher.get_category_display()}"


class TeacherChooser(BaseChooser):
    """The session row's teacher field: the chosen name and a button, no list of teachers. The modal
    gets the row's times from its sibling fields (`linked_fields`, matched on the row's id prefix)
    and the class from the URL, so it can say who is free then."""

    model = Teacher
    show_edit_link = False
    linked_fields = {
        "starts_at": {"match": r"^id_sessions-\d+-", "append": "starts_at"},
        "ends_at": {"match": r"^id_sessions-\d+-", "append": "ends_at"},
    }
    training_class_id: int | None = None
    known: dict = {}  # teachers already loaded for the whole timetable (id → Teacher)

    def get_instance(self, value):
        if value is not None and not isinstance(value, Teacher) and str(value).isdigit():
            known = self.known.get(int(value))
            if known is not None:
                return known
        return super().get_instance(value)

    def get_chooser_modal_url(self):
        url = reverse(self.chooser_modal_url_name)
        if self.training_class_id:
            url += "?" + urlencode({"training_class": self.training_class_id})
        return url

    def get_display_title(self, instance):
        return teacher_label(instance)

    def get_value_data_from_instance(self, instance):
        # No edit link (the pool is the organization department's), so no admin URL lookup per row.
        return {"id": instance.pk, "edit_url": "", self.display_title_key: self.get_display_title(instance)}


class TeacherChooserFilterForm(BaseFilterForm):
    q = forms.CharField(
        label=_("Search term"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Name, organisation or subject")}),
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("All categories")), *TeacherCategory.choices],
        required=False,
        widget=forms.Select(attrs=SEARCH_FILTER),
    )
    subject = forms.ChoiceField(label=_("Subject"), required=False, widget=forms.Select(attrs=SEARCH_FILTER))
    free_only = forms.BooleanField(
        label=_("Only teachers free at that time"),
        required=False,
        widget=forms.CheckboxInput(attrs=SEARCH_FILTER),
    )

    def __init__(self, *args, subjects: list[str], can_check_times: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = [("", _("All subjects"))] + [(s, s) for s in subjects]
        if not can_check_times:
            del self.fields["free_only"]

    def filter(self, objects):
        data = self.cleaned_data
        if data.get("q"):
            term = data["q"].strip()
            objects = objects.filter(
                Q(name__icontains=term) | Q(organisation__icontains=term) | Q(subjects__icontains=term)
            )
            self.search_query = term
        if data.get("category"):
            objects = objects.filter(category=data["category"])
        if data.get("subject"):
            objects = objects.filter(subjects__icontains=data["subject"])
        self.is_searching = bool(data.get("q") or data.get("category") or data.get("subject"))
        self.search_query = self.search_query or data.get("subject") or ""
        return objects


class SessionTimeForm(forms.Form):
    """The session row's context, from the modal's URL. Bad or missing values are ignored: the
    modal then lists the current year's pool without marking anyone."""

    starts_at = forms.DateTimeField(required=False)
    ends_at = forms.DateTimeField(required=False)
    training_class = forms.IntegerField(required=False, min_value=1)


class AvailabilityColumn(Column):
    """Free, or busy with the booking that keeps the teacher (the other class's name and time)."""

    cell_template_name = "scheduling/admin/teacher_chooser/availability_cell.html"


class TeacherChooseMixin:
    template_name = "scheduling/admin/teacher_chooser/chooser.html"
    per_page = 20
    ordering = ["name", "id"]
    filter_form_class = TeacherChooserFilterForm

    def dispatch(self, request, *args, **kwargs):
        if not training_class_permission_policy.user_has_any_permission(request.user, ["add", "change"]):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def session_time(self) -> dict:
        form = SessionTimeForm(self.request.GET)
        if not form.is_valid():
            return {"starts_at": None, "ends_at": None, "training_class": None}
        data = form.cleaned_data
        if data["starts_at"] and data["ends_at"] and data["ends_at"] <= data["starts_at"]:
            data["ends_at"] = None
        return data

    @property
    def can_check_times(self) -> bool:
        return bool(self.session_time["starts_at"] and self.session_time["ends_at"])

    @cached_property
    def pool_year(self) -> int:
        starts_at = self.session_time["starts_at"]
        return timezone.localtime(starts_at).year if starts_at else timezone.localdate().year

    def get_object_list(self):
        return people_selectors.teachers_for_user(self.request.user).in_pool_during(self.pool_year)

    def get_filter_form(self):
        subjects = set()
        for text in self.get_object_list().values_list("subjects", flat=True):
            subjects.update(Teacher(subjects=text).subject_list)
        return self.get_filter_form_class()(
            self.request.GET, subjects=sorted(subjects), can_check_times=self.can_check_times
        )

    def _bookings(self):
        return conflicts.teacher_bookings(
            self.session_time["starts_at"],
            self.session_time["ends_at"],
            exclude_class_id=self.session_time["training_class"],
        )

    def filter_object_list(self, objects):
        objects = super().filter_object_list(objects)
        if (
            self.can_check_times
            and self.filter_form.is_valid()
            and self.filter_form.cleaned_data["free_only"]
        ):
            objects = objects.exclude(pk__in=self._bookings().values("teacher_id"))
            self.filter_form.is_searching = True
        return objects

    def get_results_page(self, request):
        page = super().get_results_page(request)
        self.busy = {}
        if self.can_check_times:
            self.busy = conflicts.teachers_busy(
                [teacher.pk for teacher in page],
                self.session_time["starts_at"],
                self.session_time["ends_at"],
                exclude_class_id=self.session_time["training_class"],
            )
        return page

    def availability(self, teacher: Teacher) -> conflicts.Conflict | None:
        return self.busy.get(teacher.pk)

    @property
    def columns(self):
        columns = [
            TitleColumn(
                "name",
                label=_("Name"),
                accessor="name",
                get_url=lambda teacher: self.append_preserved_url_parameters(
                    reverse(self.chosen_url_name, args=[teacher.pk])
                ),
                link_attrs={"data-chooser-modal-choice": True},
            ),
            Column("category", label=_("Category"), accessor="get_category_display"),
            Column("subjects", label=_("Subjects"), accessor="subjects"),
            Column("organisation", label=_("Organisation and post"), accessor="organisation"),
        ]
        if self.can_check_times:
            columns.append(
                AvailabilityColumn("availability", label=_("At that time"), accessor=self.availability)
            )
        return columns

    @property
    def page_subtitle(self) -> str:
        """Which pool and which time the list is about, e.g. "2030 pool · 03/06/2030 10:10–11:40"."""
        subtitle = _("Teacher pool %(year)s") % {"year": self.pool_year}
        if self.can_check_times:
            start = timezone.localtime(self.session_time["starts_at"])
            end = timezone.localtime(self.session_time["ends_at"])
            day = date_format(start, "SHORT_DATE_FORMAT")
            when = f"{day} {start:%H:%M}–{end:%H:%M}"
            if end.date() != start.date():
                when = f"{day} {start:%H:%M} – {date_format(end, 'SHORT_DATE_FORMAT')} {end:%H:%M}"
            subtitle = f"{subtitle} · {when}"
        return subtitle


class TeacherChooseView(TeacherChooseMixin, chooser_views.ChooseView):
    pass


class TeacherChooseResultsView(TeacherChooseMixin, chooser_views.ChooseResultsView):
    pass


class TeacherChosenView(chooser_views.ChosenView):
    def dispatch(self, request, *args, **kwargs):
        if not training_class_permission_policy.user_has_any_permission(request.user, ["add", "change"]):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, pk):
        return people_selectors.teachers_for_user(self.request.user).get(pk=pk)

    def get_display_title(self, instance):
        return teacher_label(instance)

    def get_edit_item_url(self, instance):
        return ""


class TeacherChooserViewSet(ChooserViewSet):
    model = Teacher
    name = "scheduling_teacher_chooser"
    url_prefix = "scheduling/teacher-chooser"
    icon = "user"
    choose_one_text = _("Choose a teacher")
    choose_another_text = _("Choose another teacher")
    page_title = _("Choose a teacher from the pool")
    base_widget_class = TeacherChooser
    register_widget = False  # only the timetable uses it; other forms keep their own widgets
    preserve_url_parameters = ["multiple", *CONTEXT_PARAMETERS]
    choose_view_class = TeacherChooseView
    choose_results_view_class = TeacherChooseResultsView
    chosen_view_class = TeacherChosenView

    def get_urlpatterns(self):
        # Choosing one existing teacher only: no "create" tab (the pool is the organization
        # department's) and no multiple choice.
        return [url for url in super().get_urlpatterns() if url.name not in ("create", "chosen_multiple")]


teacher_chooser_viewset = TeacherChooserViewSet()

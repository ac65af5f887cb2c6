"""Training classes in the admin: the index, and create/edit saved through the service.

The add view starts from `services.class_skeleton`, so the timetable already holds the five
mandatory items in order, a site visit and an elective, timed on the next Monday. Create and edit
hand the form's unsaved class (with its sessions) to `services.training_class_save`, the only writer;
its ValidationError is shown on the form and nothing is saved.
"""

from datetime import date, timedelta

import django_filters
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.widgets import Button

from lms.dashboard.links import class_day_buttons
from lms.people.admin.forms import ServiceErrorsOnFormMixin
from lms.people.admin.scoping import ScopedCreateView, ScopedDeleteView, ScopedEditView, ScopedIndexView
from lms.scheduling import selectors, services, teaching_points
from lms.scheduling.models import PUBLIC_STATUSES, ClassStatus, TrainingClass


def next_monday(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return today + timedelta(days=7 - today.weekday())


def _user(request):
    return request.user if request is not None else AnonymousUser()


def schools_for_request(request):
    return selectors.schools_for_user(_user(request))


def compliance_label(training_class: TrainingClass) -> str:
    return _("Follows 5+1+N") if training_class.is_compliant else _("Does not follow 5+1+N")


def class_dates(training_class: TrainingClass) -> str:
    if training_class.start_date == training_class.end_date:
        return str(training_class.start_date)
    return f"{training_class.start_date} – {training_class.end_date}"


def class_places(training_class: TrainingClass) -> str:
    places = f"{training_class.enrolled_count} / {training_class.capacity}"
    if training_class.waitlisted_count:
        places += " " + _("(+%(count)s waiting)") % {"count": training_class.waitlisted_count}
    return places


class TrainingClassFilterSet(WagtailFilterSet):
    school = django_filters.ModelChoiceFilter(
        queryset=schools_for_request, label=gettext_lazy("School"), empty_label=gettext_lazy("All")
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=ClassStatus.choices, method="filter_status"
    )
    is_compliant = django_filters.BooleanFilter(label=gettext_lazy("Follows 5+1+N"))
    start_date = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("First day between"), widget=DateRangePickerWidget
    )
    year = django_filters.NumberFilter(
        field_name="start_date", lookup_expr="year", label=gettext_lazy("Year")
    )

    class Meta:
        model = TrainingClass
        fields = ["school", "status", "is_compliant", "start_date", "year"]

    def filter_status(self, queryset, name, value):
        """By the status as of today (a published class is in progress on its days, finished after)."""
        today = timezone.localdate()
        public = Q(status__in=PUBLIC_STATUSES)
        by_dates = {
            ClassStatus.PUBLISHED: public & Q(start_date__gt=today),
            ClassStatus.IN_PROGRESS: public & Q(start_date__lte=today, end_date__gte=today),
            ClassStatus.FINISHED: public & Q(end_date__lt=today),
        }
        return queryset.filter(by_dates.get(value, Q(status=value)))


class ClassButtonsMixin:
    """The class actions (confirmation pages that POST to the service), shown where they apply."""

    def class_action_buttons(self, training_class: TrainingClass) -> list[Button]:
        status = training_class.current_status()

        def url(action: str) -> str:
            return reverse(self.action_url_names[action], args=[training_class.pk])

        buttons = [Button(_("Enrolment"), url=url("enrolment"), icon_name="group", priority=5)]
        if status == ClassStatus.DRAFT:
            buttons.append(Button(_("Publish"), url=url("publish"), icon_name="upload", priority=6))
        if status == ClassStatus.PUBLISHED:
            buttons.append(Button(_("Back to draft"), url=url("unpublish"), icon_name="undo", priority=7))
        if status not in (ClassStatus.CANCELLED, ClassStatus.FINISHED):
            buttons.append(Button(_("Cancel the class"), url=url("cancel"), icon_name="cross", priority=8))
        buttons.append(Button(_("Copy to a new date"), url=url("copy"), icon_name="copy", priority=9))
        return buttons


class TrainingClassIndexView(ClassButtonsMixin, ScopedIndexView):
    action_url_names: dict[str, str] = {}

    def get_base_queryset(self):
        if not self.permission_policy.user_has_any_permission(
            self.request.user, self.any_permission_required
        ):
            return TrainingClass.objects.none()
        return selectors.class_list(self.request.user)

    def get_delete_url(self, instance):
        return super().get_delete_url(instance) if instance.status == ClassStatus.DRAFT else None

    def get_list_more_buttons(self, instance):
        return super().get_list_more_buttons(instance) + self.class_action_buttons(instance)


class ServiceSaveMixin(ServiceErrorsOnFormMixin):
    """Save the form's class and sessions through `services.training_class_save`."""

    def save_instance(self) -> TrainingClass:
        training_class = self.form.save(commit=False)
        if training_class.pk is None:
            training_class.created_by = self.request.user
        return services.training_class_save(actor=self.request.user, training_class=training_class)

    def save_action(self):
        if not self.expects_json_response:
            if not self.object.is_compliant:
                messages.warning(
                    self.request,
                    _(
                        "Saved as a draft that does not follow the 5+1+N template yet; "
                        "see what is missing below."
                    ),
                )
            # Another township's teaching point is allowed, but said.
            for notice in teaching_points.outside_township_notices(self.object):
                messages.warning(self.request, notice.session_message)
        return super().save_action()

    def get_success_url(self):
        return reverse(self.edit_url_name, args=[self.object.pk])


class TrainingClassCreateView(ServiceSaveMixin, ScopedCreateView):
    def get_initial_form_instance(self):
        if self.request.method == "POST":
            return TrainingClass()
        schools = list(selectors.schools_for_user(self.request.user)[:2])
        school = schools[0] if len(schools) == 1 else None
        return services.class_skeleton(school=school, start_date=next_monday())


class TrainingClassEditView(ClassButtonsMixin, ServiceSaveMixin, ScopedEditView):
    action_url_names: dict[str, str] = {}

    @property
    def header_more_buttons(self):
        # The day's screens (签到大屏, live room) first: they are what staff look for on the day.
        return (
            class_day_buttons(self.object)
            + super().header_more_buttons
            + self.class_action_buttons(self.object)
        )

    @property
    def can_delete(self):
        return self.object.status == ClassStatus.DRAFT and super().can_delete


class TrainingClassDeleteView(ScopedDeleteView):
    """Only drafts are deleted; a published class is cancelled (with a reason) instead."""

    def get_queryset(self):
        return super().get_queryset().filter(status=ClassStatus.DRAFT)

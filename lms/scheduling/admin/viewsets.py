"""The 培训 (Training) menu: training classes, the 5+1+N compliance overview, annual teaching plans."""

from django import forms
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, StatusTagColumn
from wagtail.admin.viewsets.base import ViewSetGroup

from lms.people.admin.scoping import ScopedModelViewSet
from lms.scheduling.admin import actions
from lms.scheduling.admin.classes import (
    TrainingClassCreateView,
    TrainingClassDeleteView,
    TrainingClassEditView,
    TrainingClassFilterSet,
    TrainingClassIndexView,
    class_dates,
    class_places,
    compliance_label,
)
from lms.scheduling.admin.compliance import ComplianceOverviewViewSet
from lms.scheduling.admin.enrolment import EnrolmentView
from lms.scheduling.admin.forms import InlinePanelWithForm, SessionAdminForm, TrainingClassAdminForm
from lms.scheduling.admin.panels import ComplianceReportPanel, TeachingPointNoticePanel
from lms.scheduling.admin.plans import AnnualPlanViewSet
from lms.scheduling.admin.teacher_chooser import teacher_chooser_viewset
from lms.scheduling.models import PUBLIC_STATUSES, TrainingClass

# name → (url path, view class) of the class actions beside the generic model views.
CLASS_ACTIONS = {
    "publish": ("<int:pk>/publish/", actions.PublishView),
    "unpublish": ("<int:pk>/back-to-draft/", actions.UnpublishView),
    "cancel": ("<int:pk>/cancel/", actions.CancelView),
    "copy": ("<int:pk>/copy-to-date/", actions.CopyView),
    "enrolment": ("<int:pk>/enrolment/", EnrolmentView),
}

session_panels = [
    FieldRowPanel([FieldPanel("kind"), FieldPanel("title")]),
    FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
    FieldRowPanel(
        [
            FieldPanel("teacher", widget=teacher_chooser_viewset.widget_class),
            FieldPanel("teaching_point", widget=forms.Select),
        ]
    ),
    TeachingPointNoticePanel(),
    FieldRowPanel([FieldPanel("venue"), FieldPanel("delivery")]),
    FieldPanel("course"),
]


class TrainingClassViewSet(ScopedModelViewSet):
    model = TrainingClass
    name = "scheduling_classes"
    url_prefix = "scheduling/classes"
    icon = "date"
    menu_label = _("Training classes")
    index_view_class = TrainingClassIndexView
    add_view_class = TrainingClassCreateView
    edit_view_class = TrainingClassEditView
    delete_view_class = TrainingClassDeleteView
    copy_view_enabled = False  # "Copy to a new date" moves the timetable instead
    add_to_reference_index = False
    list_display = [
        "title",
        Column("school", label=_("School"), accessor="school", sort_key="school__path"),
        Column("dates", label=_("Dates"), accessor=class_dates, sort_key="start_date"),
        StatusTagColumn(
            "current_status_label",
            label=_("Status"),
            sort_key="status",
            primary=lambda training_class: training_class.status in PUBLIC_STATUSES,
        ),
        StatusTagColumn(
            "compliance",
            label=_("5+1+N"),
            accessor=compliance_label,
            sort_key="is_compliant",
            primary=lambda training_class: not training_class.is_compliant,
        ),
        Column("places", label=_("Enrolled / places"), accessor=class_places, sort_key="enrolled_count"),
    ]
    filterset_class = TrainingClassFilterSet
    search_fields = ["title"]
    edit_handler = ObjectList(
        [
            ComplianceReportPanel(heading=_("5+1+N check")),
            MultiFieldPanel(
                [
                    FieldPanel("school", widget=forms.Select),
                    FieldPanel("title"),
                    FieldPanel("description"),
                    FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date")]),
                    FieldRowPanel([FieldPanel("capacity"), FieldPanel("venue")]),
                    FieldPanel("planned_class"),
                ],
                heading=_("Class"),
            ),
            MultiFieldPanel(
                [
                    FieldPanel("audience_categories"),
                    FieldPanel("audience_branches", widget=forms.CheckboxSelectMultiple),
                    FieldPanel("self_enrolment"),
                ],
                heading=_("Audience"),
            ),
            InlinePanelWithForm(
                "sessions",
                form_class=SessionAdminForm,
                panels=session_panels,
                heading=_("Timetable (5+1+N)"),
                label=_("Session"),
            ),
        ],
        base_form_class=TrainingClassAdminForm,
    )

    @property
    def action_url_names(self) -> dict[str, str]:
        return {name: self.get_url_name(name) for name in CLASS_ACTIONS}

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(action_url_names=self.action_url_names, **kwargs)

    def get_edit_view_kwargs(self, **kwargs):
        return super().get_edit_view_kwargs(action_url_names=self.action_url_names, **kwargs)

    def get_urlpatterns(self):
        urls = super().get_urlpatterns()
        for name, (route, view_class) in CLASS_ACTIONS.items():
            view = view_class.as_view(
                index_url_name=self.get_url_name("index"), edit_url_name=self.get_url_name("edit")
            )
            urls.append(path(route, view, name=name))
        return urls


class TrainingViewSetGroup(ViewSetGroup):
    menu_label = _("Training")
    menu_icon = "date"
    menu_order = 210
    items = (TrainingClassViewSet, ComplianceOverviewViewSet, AnnualPlanViewSet)

    def __init__(self):
        super().__init__()
        # The timetable's teacher chooser is registered with the menu's viewsets (for its URLs)
        # but has no menu item of its own.
        self.registerables.append(teacher_chooser_viewset)

    def get_submenu_items(self):
        menu_items = []
        for order, registerable in enumerate(self.registerables, start=1):
            if registerable is not teacher_chooser_viewset:
                menu_items.append(registerable.get_menu_item(order=order))
        return menu_items

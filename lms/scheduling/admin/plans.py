"""Annual teaching plans (年度教学计划) in the admin, saved through `services.annual_plan_save`, and
each plan's "planned vs held" page (计划与实际) by month."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets import Button

from lms.people.admin.forms import ServiceErrorsOnFormMixin
from lms.people.admin.scoping import ScopedCreateView, ScopedEditView, ScopedIndexView, ScopedModelViewSet
from lms.scheduling import selectors, services
from lms.scheduling.admin.forms import AnnualPlanAdminForm, InlinePanelWithForm, PlannedClassAdminForm
from lms.scheduling.admin.permissions import annual_plan_permission_policy
from lms.scheduling.models import AnnualPlan


class PlanServiceSaveMixin(ServiceErrorsOnFormMixin):
    def save_instance(self) -> AnnualPlan:
        plan = self.form.save(commit=False)
        return services.annual_plan_save(actor=self.request.user, plan=plan)


class AnnualPlanIndexView(ScopedIndexView):
    plan_vs_held_url_name = ""

    def get_base_queryset(self):
        return super().get_base_queryset().annotate(planned_count=Count("planned_classes"))

    def get_list_more_buttons(self, instance):
        url = reverse(self.plan_vs_held_url_name, args=[instance.pk])
        return super().get_list_more_buttons(instance) + [
            Button(_("Planned vs held"), url=url, icon_name="table", priority=5)
        ]


class AnnualPlanCreateView(PlanServiceSaveMixin, ScopedCreateView):
    pass


class AnnualPlanEditView(PlanServiceSaveMixin, ScopedEditView):
    plan_vs_held_url_name = ""

    @property
    def header_more_buttons(self):
        url = reverse(self.plan_vs_held_url_name, args=[self.object.pk])
        return super().header_more_buttons + [
            Button(_("Planned vs held"), url=url, icon_name="table", priority=5)
        ]


class PlanVsHeldView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "scheduling/admin/plan_vs_held.html"
    page_title = gettext_lazy("Planned vs held")
    header_icon = "table"
    index_url_name = ""
    edit_url_name = ""

    def dispatch(self, request, *args, pk, **kwargs):
        if not annual_plan_permission_policy.user_has_any_permission(request.user, ["change", "view"]):
            raise PermissionDenied
        self.object = get_object_or_404(
            selectors.plans_for_user(request.user).prefetch_related("planned_classes"), pk=pk
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": AnnualPlan._meta.verbose_name_plural},
            {"url": reverse(self.edit_url_name, args=[self.object.pk]), "label": str(self.object)},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = selectors.plan_vs_held(self.object)
        totals = selectors.plan_totals(rows)
        planned_by_month = {}
        for planned in self.object.planned_classes.all():
            planned_by_month.setdefault(planned.month, []).append(planned)
        for row in rows:
            row["planned_classes"] = planned_by_month.get(row["month"], [])
        context.update(plan=self.object, rows=rows, totals=totals)
        return context


class AnnualPlanViewSet(ScopedModelViewSet):
    model = AnnualPlan
    name = "scheduling_plans"
    url_prefix = "scheduling/plans"
    icon = "list-ul"
    menu_label = gettext_lazy("Annual teaching plans")
    index_view_class = AnnualPlanIndexView
    add_view_class = AnnualPlanCreateView
    edit_view_class = AnnualPlanEditView
    copy_view_enabled = False
    add_to_reference_index = False
    list_display = [
        "__str__",
        Column("school", label=gettext_lazy("School"), accessor="school", sort_key="school__path"),
        Column("year", label=gettext_lazy("Year"), sort_key="year"),
        Column("planned_count", label=gettext_lazy("Planned classes"), sort_key="planned_count"),
    ]
    list_filter = ["year"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("school", widget=forms.Select), FieldPanel("year")]),
            FieldPanel("notes"),
            InlinePanelWithForm(
                "planned_classes",
                form_class=PlannedClassAdminForm,
                heading=gettext_lazy("Planned classes"),
                label=gettext_lazy("Planned class"),
                panels=[
                    FieldPanel("title"),
                    FieldRowPanel([FieldPanel("month"), FieldPanel("planned_days")]),
                    FieldPanel("audience"),
                    FieldPanel("modules"),
                ],
            ),
        ],
        base_form_class=AnnualPlanAdminForm,
    )

    @property
    def plan_vs_held_url_name(self) -> str:
        return self.get_url_name("plan_vs_held")

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(plan_vs_held_url_name=self.plan_vs_held_url_name, **kwargs)

    def get_edit_view_kwargs(self, **kwargs):
        return super().get_edit_view_kwargs(plan_vs_held_url_name=self.plan_vs_held_url_name, **kwargs)

    def get_urlpatterns(self):
        view = PlanVsHeldView.as_view(
            index_url_name=self.get_url_name("index"), edit_url_name=self.get_url_name("edit")
        )
        return super().get_urlpatterns() + [path("<int:pk>/planned-vs-held/", view, name="plan_vs_held")]

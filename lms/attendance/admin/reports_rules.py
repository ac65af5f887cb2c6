"""The yearly requirements per member category: the organization department sets the hours and
where they count (through `requirement_rule_set`); other staff read them. Hours are shown in days
too (ATTENDANCE_HOURS_PER_DAY hours a day)."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.attendance import selectors, services
from lms.attendance.admin.reports_common import (
    FIRST_YEAR,
    ReportBreadcrumbsMixin,
    days,
    forbidden,
    may_see_hours,
    report_year,
    year_choices,
)
from lms.attendance.models import RequirementScope
from lms.people.models import MemberCategory
from lms.people.selectors import is_org_dept


class RequirementRuleForm(forms.Form):
    year = forms.IntegerField(min_value=FIRST_YEAR, max_value=2100)
    category = forms.ChoiceField(choices=MemberCategory.choices)
    hours = forms.DecimalField(
        label=gettext_lazy("Hours"), min_value=Decimal(0), max_digits=5, decimal_places=1
    )
    scope = forms.ChoiceField(label=gettext_lazy("Where they count"), choices=RequirementScope.choices)


class RequirementRulesView(ReportBreadcrumbsMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "attendance/admin/reports_rules.html"
    page_title = gettext_lazy("Yearly requirements")
    header_icon = "date"

    def dispatch(self, request, *args, **kwargs):
        if not may_see_hours(request.user):
            return forbidden(request, self.page_title)
        self.year = report_year(request)
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        form = RequirementRuleForm(request.POST)
        if not form.is_valid():
            for name, errors in form.errors.items():
                messages.error(request, f"{form.fields[name].label or name}: {' '.join(errors)}")
            return redirect(self.index_url(None))
        data = form.cleaned_data
        try:
            rule = services.requirement_rule_set(
                actor=request.user,
                year=data["year"],
                category=data["category"],
                hours=data["hours"],
                scope=data["scope"],
            )
        except PermissionDenied as denied:
            return forbidden(request, self.page_title, str(denied))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(year)s · %(category)s: %(hours)s hours (%(days)s days), %(scope)s.")
                % {
                    "year": rule.year,
                    "category": rule.get_category_display(),
                    "hours": rule.hours,
                    "days": days(rule.hours),
                    "scope": rule.get_scope_display(),
                },
            )
        return redirect(self.index_url(data["year"]))

    def index_url(self, year) -> str:
        return f"{reverse('attendance_hours_rules:index')}?year={year or self.year}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rules = selectors.requirement_rules(self.year)
        context.update(
            year=self.year,
            years=year_choices(self.year),
            may_edit=is_org_dept(self.request.user),
            hours_per_day=settings.ATTENDANCE_HOURS_PER_DAY,
            scopes=RequirementScope.choices,
            rules=[
                {
                    "rule": rule,
                    "days": days(rule.hours),
                    "is_default": rule.pk is None,
                }
                for rule in rules.values()
            ],
        )
        return context

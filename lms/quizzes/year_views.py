"""The organization department's yearly choices for quizzes and exams (测验与考试 → 年度设置): whether
exam sessions count toward the year's training hours, and a second marker for exam essays."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms.people.selectors import is_org_dept
from lms.quizzes import services
from lms.quizzes.models import YearSetting
from lms.quizzes.staff_views import StaffView


class YearSettingForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    exam_counts_toward_hours = forms.BooleanField(
        label=gettext_lazy("Exam sessions count toward training hours"), required=False
    )
    second_marker_for_exams = forms.BooleanField(
        label=gettext_lazy("A second marker for exam essays"), required=False
    )


class YearSettings(StaffView):
    template_name = "quizzes/admin/years.html"
    page_title = gettext_lazy("Yearly choices")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_org_dept(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        year = timezone.localdate().year
        stored = YearSetting.objects.filter(year=year).first()
        initial = {
            "year": year,
            "exam_counts_toward_hours": stored.exam_counts_toward_hours if stored else True,
            "second_marker_for_exams": stored.second_marker_for_exams if stored else False,
        }
        return {
            **super().get_context_data(**kwargs),
            "form": kwargs.get("form") or YearSettingForm(initial=initial),
            "settings": YearSetting.objects.order_by("-year")[:20],
        }

    def post(self, request, *args, **kwargs):
        form = YearSettingForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        services.year_setting_set(user=request.user, **form.cleaned_data)
        messages.success(request, _("Saved the choices for %(year)s.") % {"year": form.cleaned_data["year"]})
        return redirect("quizzes_admin:years")

"""The yearly assessment inputs (organization department): the department's review score of each of
the year's pool teachers, in one form, and the weights of the year's composite score.

Scores are read per row (a row left empty is left as it was); if any row is wrong nothing is saved and
the form comes back with each row's own message and what was typed. Writes go through
`lms.evaluation.assessment`."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.evaluation import assessment, ranking
from lms.evaluation.admin.reports_common import (
    FIRST_YEAR,
    PART_LABELS,
    ReportBreadcrumbsMixin,
    forbidden,
    may_assess,
    report_year,
    year_choices,
)
from lms.evaluation.models import DepartmentScore
from lms.people.models import Teacher


class ScoreRowForm(forms.Form):
    score = forms.DecimalField(
        label=gettext_lazy("Review score"), required=False, max_digits=5, decimal_places=1
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)


class WeightsForm(forms.Form):
    satisfaction_weight = forms.IntegerField(label=PART_LABELS["satisfaction"], min_value=0, max_value=100)
    rating_weight = forms.IntegerField(label=PART_LABELS["rating"], min_value=0, max_value=100)
    review_weight = forms.IntegerField(label=PART_LABELS["review"], min_value=0, max_value=100)
    sessions_weight = forms.IntegerField(label=PART_LABELS["sessions"], min_value=0, max_value=100)
    sessions_target = forms.IntegerField(
        label=gettext_lazy("Sessions for full marks"), min_value=1, max_value=1000
    )


def posted_year(request, default: int) -> int:
    """The year a form was posted for, under the rules of `report_year`."""
    try:
        year = int(request.POST.get("year", default))
    except (TypeError, ValueError):
        return default
    return year if FIRST_YEAR <= year <= timezone.localdate().year + 1 else default


def error_messages(error: ValidationError) -> list[str]:
    return error.messages


class AssessmentView(ReportBreadcrumbsMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "evaluation/admin/assessment.html"
    page_title = gettext_lazy("Yearly assessment")
    header_icon = "edit"

    def dispatch(self, request, *args, **kwargs):
        if not may_assess(request.user):
            return forbidden(request, self.page_title)
        self.year = report_year(request)
        if request.method == "POST":
            self.year = posted_year(request, self.year)
        self.weights_form = None
        self.score_forms = None
        return super().dispatch(request, *args, **kwargs)

    def index_url(self) -> str:
        return f"{reverse('evaluation_assessment:index')}?year={self.year}"

    def teachers(self) -> list[Teacher]:
        return list(Teacher.objects.in_pool_during(self.year).order_by("category", "name", "pk"))

    def post(self, request, *args, **kwargs):
        if request.POST.get("form") == "weights":
            return self.post_weights(request)
        return self.post_scores(request)

    def post_weights(self, request):
        form = WeightsForm(request.POST)
        if form.is_valid():
            try:
                assessment.scoring_scheme_set(actor=request.user, year=self.year, **form.cleaned_data)
            except PermissionDenied as denied:
                return forbidden(request, self.page_title, str(denied))
            except ValidationError as error:
                form.add_error(None, error_messages(error))
            else:
                messages.success(request, _("The weights of %(year)s are saved.") % {"year": self.year})
                return redirect(self.index_url())
        self.weights_form = form
        return self.render_to_response(self.get_context_data(), status=400)

    def post_scores(self, request):
        teachers = self.teachers()
        forms_by_teacher = {
            teacher.pk: ScoreRowForm(request.POST, prefix=f"t{teacher.pk}") for teacher in teachers
        }
        self.score_forms = forms_by_teacher
        checked = [form.is_valid() for form in forms_by_teacher.values()]  # every row, for its messages
        valid = all(checked)
        saved = 0
        if valid:
            with transaction.atomic():
                for teacher in teachers:
                    data = forms_by_teacher[teacher.pk].cleaned_data
                    if data["score"] is None:
                        continue
                    try:
                        assessment.department_score_set(
                            actor=request.user,
                            teacher=teacher,
                            year=self.year,
                            score=data["score"],
                            note=data["note"],
                        )
                    except PermissionDenied as denied:
                        transaction.set_rollback(True)
                        return forbidden(request, self.page_title, str(denied))
                    except ValidationError as error:
                        forms_by_teacher[teacher.pk].add_error(None, error_messages(error))
                        valid = False
                    else:
                        saved += 1
                if not valid:
                    transaction.set_rollback(True)
        if not valid:
            messages.error(request, _("Nothing was saved: correct the rows marked below."))
            return self.render_to_response(self.get_context_data(), status=400)
        messages.success(
            request, _("Review scores of %(year)s saved: %(count)s.") % {"year": self.year, "count": saved}
        )
        return redirect(self.index_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        teachers = self.teachers()
        scores = {score.teacher_id: score for score in DepartmentScore.objects.filter(year=self.year)}
        rows = []
        for teacher in teachers:
            saved = scores.get(teacher.pk)
            form = (self.score_forms or {}).get(teacher.pk) or ScoreRowForm(
                prefix=f"t{teacher.pk}",
                initial={"score": saved.score, "note": saved.note} if saved else None,
            )
            rows.append({"teacher": teacher, "form": form, "saved": saved})
        scheme = ranking.scoring_scheme(self.year)
        weights_form = self.weights_form or WeightsForm(
            initial={
                "satisfaction_weight": scheme.satisfaction_weight,
                "rating_weight": scheme.rating_weight,
                "review_weight": scheme.review_weight,
                "sessions_weight": scheme.sessions_weight,
                "sessions_target": scheme.sessions_target,
            }
        )
        context.update(
            year=self.year,
            years=year_choices(self.year),
            rows=rows,
            scheme=scheme,
            scheme_is_default=scheme.pk is None,
            weights_form=weights_form,
            ranking_url=f"{reverse('evaluation_ranking:index')}?year={self.year}",
        )
        return context

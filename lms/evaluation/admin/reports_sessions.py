"""Session results for staff: the list of evaluated sessions in the user's scope (township staff their
township's, the organization department all) and one session's aggregated result.

The list costs the same few queries however many rows it shows: counts come annotated from
`selectors.evaluation_list`, and the satisfaction rates of the page's shown rows from one grouped
query over the answer counters."""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.attendance.selectors import year_bounds
from lms.evaluation import results, selectors
from lms.evaluation.admin.reports_common import (
    ReportBreadcrumbsMixin,
    forbidden,
    int_param,
    may_see_session_results,
    report_year,
    year_choices,
)
from lms.evaluation.models import SessionEvaluation
from lms.people.models import Teacher
from lms.scheduling.selectors import can_manage_class, schools_for_user

PER_PAGE = 50


def is_shown(evaluation: SessionEvaluation, now) -> bool:
    """The rule of `SessionResult.is_shown`, for a row of `evaluation_list` (annotated `responses`,
    `sealed`)."""
    return (
        now >= evaluation.closes_at
        and not evaluation.sealed
        and evaluation.responses >= results.min_responses()
    )


class SessionResultsView(ReportBreadcrumbsMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "evaluation/admin/session_list.html"
    page_title = gettext_lazy("Session results")
    header_icon = "list-ul"

    def dispatch(self, request, *args, **kwargs):
        if not may_see_session_results(request.user):
            return forbidden(request, self.page_title)
        self.year = report_year(request)
        self.school_id = int_param(request, "school")
        self.teacher_id = int_param(request, "teacher")
        return super().dispatch(request, *args, **kwargs)

    def in_year(self) -> QuerySet[SessionEvaluation]:
        start, end = year_bounds(self.year)
        return selectors.evaluation_list(self.request.user).filter(
            session__starts_at__gte=start, session__starts_at__lt=end
        )

    def evaluations(self) -> QuerySet[SessionEvaluation]:
        evaluations = self.in_year()
        if self.school_id:
            evaluations = evaluations.filter(session__training_class__school_id=self.school_id)
        if self.teacher_id:
            evaluations = evaluations.filter(teacher_id=self.teacher_id)
        return evaluations

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        page = Paginator(self.evaluations(), PER_PAGE).get_page(self.request.GET.get("p"))
        evaluations = list(page.object_list)
        shown = [evaluation for evaluation in evaluations if is_shown(evaluation, now)]
        rates = results.satisfaction_rates([evaluation.pk for evaluation in shown])
        rows = [
            {
                "evaluation": evaluation,
                "session": evaluation.session,
                "is_closed": now >= evaluation.closes_at,
                "is_shown": evaluation in shown,
                "response_rate": results.percent(evaluation.responses, evaluation.eligible),
                "satisfaction_rate": rates.get(evaluation.pk),
            }
            for evaluation in evaluations
        ]
        teachers = Teacher.objects.filter(
            pk__in=selectors.evaluations_for_user(self.request.user).values("teacher_id")
        ).order_by("name", "pk")
        filters = {"year": self.year, "school": self.school_id or "", "teacher": self.teacher_id or ""}
        context.update(
            year=self.year,
            years=year_choices(self.year),
            schools=schools_for_user(self.request.user).specific(),
            teachers=teachers,
            school_id=self.school_id,
            teacher_id=self.teacher_id,
            page=page,
            rows=rows,
            min_responses=results.min_responses(),
            query=urlencode(filters),
        )
        return context


class SessionResultView(ReportBreadcrumbsMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "evaluation/admin/session_result.html"
    page_title = gettext_lazy("Session result")
    header_icon = "clipboard-list"

    def dispatch(self, request, *args, **kwargs):
        if not may_see_session_results(request.user):
            return forbidden(request, self.page_title)
        self.evaluation = get_object_or_404(
            selectors.evaluations_for_user(request.user).select_related("session__teacher"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.evaluation.session.display_title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("evaluation_results:index"), "label": SessionResultsView.page_title},
            {"url": "", "label": self.evaluation.session.display_title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        evaluation = self.evaluation
        not_answered = selectors.non_respondents(evaluation)
        manages = can_manage_class(user, evaluation.session.training_class)
        context.update(
            evaluation=evaluation,
            session=evaluation.session,
            result=results.session_result(evaluation, timezone.now()),
            non_respondent_count=not_answered.count(),
            non_respondents=list(not_answered) if manages else None,
        )
        return context

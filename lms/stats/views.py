"""The dashboard (统计) in the admin: the place the user oversees, drill-down to a township, a
branch and a member's ledger, each figure as a chart with its table and an XLSX; and the annual
reports (start, progress, download). Who may see what is the selectors' `*_place`: anything outside
the user's scope is a 404."""

import io

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.attendance import selectors as hours
from lms.attendance.admin.reports_common import report_year, year_choices
from lms.evaluation import ranking
from lms.exports.writers import XLSX_TYPE
from lms.people.selectors import members_for_user
from lms.stats import selectors, services, tables
from lms.stats.models import AnnualReport, ReportStatus


def place_url(place: selectors.Place, year: int) -> str:
    if place.level == selectors.BRANCH:
        url = reverse("figures:branch", args=[place.branch.pk])
    elif place.level == selectors.TOWNSHIP and place.parent is not None:
        url = reverse("figures:township", args=[place.township.pk])
    else:
        url = reverse("figures:index")
    return f"{url}?year={year}"


def chart_data(dash: selectors.Dashboard) -> dict:
    """What the page's script draws (passed with json_script)."""
    data = {
        "unit": dash.place.child_level,
        "coverage": [row.as_dict() for row in dash.coverage],
        "months": dash.months,
        "classes": [row.as_dict() for row in dash.classes["schools"]],
        "class_months": [row.as_dict() for row in dash.classes["months"]],
        "participation": [row.as_dict() for row in dash.participation],
        "labels": {
            "met_share": _("Share met (%)"),
            "rotation_share": _("Five-year rotation (%)"),
            "cadres_share": _("Village cadres met (%)"),
            "met": _("Requirement met"),
            "trained": _("Trained in the month"),
            "planned": _("Planned"),
            "held": _("Held"),
            "compliant": _("5+1+N compliant"),
            "in_person": _("In-person hours"),
            "live": _("Live hours"),
            "replay": _("Replay hours"),
            "other": _("On-demand and other hours"),
            "teachers": _("Teachers"),
            "month": _("Month"),
        },
    }
    if dash.teachers is not None:
        data["satisfaction"] = dash.teachers.distribution
        data["trend"] = {
            "years": list(range(dash.year - ranking.TREND_YEARS + 1, dash.year + 1)),
            "series": [
                {"name": label, "data": [trend.get(y) for y in sorted(trend)]}
                for label, trend in ((_category(c), t) for c, t in dash.teachers.category_trend.items())
            ],
        }
    return data


def _category(category: str) -> str:
    from lms.stats.report import category_label

    return category_label(category)


def xlsx_response(dash: selectors.Dashboard, only: str | None) -> HttpResponse:
    chosen = [s for s in tables.sheets(dash) if only in (None, "", s.name)]
    if not chosen:
        raise Http404(_("There is no such table."))
    output = io.BytesIO()
    tables.write_xlsx(output, chosen)
    response = HttpResponse(output.getvalue(), content_type=XLSX_TYPE)
    name = f"stats-{dash.place.level}-{dash.year}{'-' + only if only else ''}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class DashboardView(WagtailAdminTemplateMixin, TemplateView):
    """One place's figures: the level below as rows, each chart with its table, and the XLSX."""

    template_name = "stats/dashboard.html"
    header_icon = "table"

    def get_place(self) -> selectors.Place | None:
        return selectors.home_place(self.request.user)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.place = self.get_place()
        if self.place is None:
            raise Http404(_("There are no figures for you here."))
        self.year = report_year(request)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Figures: %(place)s") % {"place": self.place.title}

    def get_breadcrumbs_items(self):
        items = [{"url": place_url(p, self.year), "label": p.title} for p in self.place.ancestors]
        return self.breadcrumbs_items + items + [{"url": "", "label": self.place.title}]

    def get(self, request, *args, **kwargs):
        self.dash = selectors.dashboard(request.user, self.place, self.year)
        if request.GET.get("export") == "xlsx":
            return xlsx_response(self.dash, request.GET.get("table"))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            dash=self.dash,
            place=self.place,
            year=self.year,
            years=year_choices(self.year),
            charts=chart_data(self.dash),
            sheets={sheet.name: sheet for sheet in tables.sheets(self.dash)},
            rotation_first_year=self.year - hours.ROTATION_YEARS + 1,
            report_url=reverse("figures:report_start"),
            township_id=self.place.township.pk if self.place.township and self.place.parent else "",
        )
        if self.place.level == selectors.BRANCH:
            page = _page_number(self.request)
            members, total = selectors.members_page(self.place, self.year, page)
            context.update(
                members=members,
                members_total=total,
                page=page,
                pages=max(1, -(-total // selectors.MEMBERS_PER_PAGE)),
            )
        return context


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("p", 1)))
    except ValueError:
        return 1


class TownshipDashboardView(DashboardView):
    def get_place(self):
        return selectors.township_place(self.request.user, self.kwargs["pk"])


class BranchDashboardView(DashboardView):
    def get_place(self):
        return selectors.branch_place(self.request.user, self.kwargs["pk"])


class MemberLedgerView(WagtailAdminTemplateMixin, TemplateView):
    """A member's training-hours ledger as their staff see it (the member's own page is /me/hours/)."""

    template_name = "stats/member_ledger.html"
    header_icon = "user"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if not selectors.may_see_stats(request.user):
                raise Http404
            self.member = get_object_or_404(members_for_user(request.user), pk=kwargs["pk"])
            self.year = report_year(request)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Training hours: %(name)s") % {"name": self.member.name}

    def get_breadcrumbs_items(self):
        branch = selectors.branch_place(self.request.user, self.member.branch_id)
        items = [{"url": place_url(p, self.year), "label": p.title} for p in [*branch.ancestors, branch]]
        return self.breadcrumbs_items + items + [{"url": "", "label": self.member.name}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ledger = hours.member_ledger(self.member, self.year)
        context.update(
            member=self.member,
            ledger=ledger,
            year=self.year,
            years=year_choices(self.year),
            counted_hours=round(ledger.counted_minutes / 60, 1),
            total_hours=round(ledger.total_minutes / 60, 1),
        )
        return context


# --- Annual reports --------------------------------------------------------------------------------


def own_report(request, pk: int) -> AnnualReport:
    return get_object_or_404(AnnualReport.objects.filter(user=request.user), pk=pk)


def report_state(report: AnnualReport) -> dict:
    done = report.status == ReportStatus.DONE
    return {
        "status": report.status,
        "status_label": str(report.get_status_display()),
        "percent": report.percent,
        "step": report.step,
        "error": report.error,
        "pdf_url": reverse("figures:report_download", args=[report.pk, "pdf"]) if done else "",
        "xlsx_url": reverse("figures:report_download", args=[report.pk, "xlsx"]) if done else "",
        "finished": not report.is_active,
    }


@require_POST
def report_start(request):
    if not selectors.may_see_stats(request.user):
        raise Http404
    year = _year_from(request.POST.get("year"))
    township = request.POST.get("township") or None
    try:
        township_id = int(township) if township else None
    except ValueError as exc:
        raise Http404 from exc
    try:
        report = services.report_start(user=request.user, year=year, township_id=township_id)
    except PermissionDenied as exc:
        raise Http404 from exc
    return redirect("figures:report", report.pk)


def _year_from(value) -> int:
    this_year = timezone.localdate().year
    try:
        year = int(value)
    except (TypeError, ValueError):
        return this_year
    return year if 2000 <= year <= this_year else this_year


class ReportView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "stats/report_job.html"
    header_icon = "doc-full"
    page_title = gettext_lazy("Annual report")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.report = own_report(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            report=self.report,
            state=report_state(self.report),
            status_url=reverse("figures:report_status", args=[self.report.pk]),
        )
        return context


def report_status(request, pk: int):
    return JsonResponse(report_state(own_report(request, pk)))


def report_download(request, pk: int, fmt: str):
    report = own_report(request, pk)
    field = {"pdf": report.pdf, "xlsx": report.xlsx}.get(fmt)
    if report.status != ReportStatus.DONE or not field:
        raise Http404(_("This report has no file to download."))
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("This report has no file to download.")) from exc
    content_type = "application/pdf" if fmt == "pdf" else XLSX_TYPE
    return FileResponse(
        handle, as_attachment=True, filename=f"annual-report-{report.year}.{fmt}", content_type=content_type
    )

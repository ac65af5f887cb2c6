"""The county's teacher ranking (organization department): per pool category, teachers ranked by their
annual composite score, with satisfaction against the county, the five-year trend and the flags; the
scoring scheme's weights on the page; downloadable as XLSX or CSV (the same table).

`ranking.teacher_ranking` costs a fixed number of queries, so the page and the downloads do too,
however many teachers and answers there are."""

from collections.abc import Mapping

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.evaluation import ranking
from lms.evaluation.admin.reports_common import (
    FLAG_LABELS,
    PART_LABELS,
    ReportBreadcrumbsMixin,
    flag_badges,
    forbidden,
    may_assess,
    number,
    report_year,
    signed,
    year_choices,
)
from lms.exports.models import ExportFormat, ExportKind
from lms.exports.sources import ExportSource, int_or_none
from lms.exports.views import export_started
from lms.people.models import TeacherCategory

HEADINGS = (
    gettext_lazy("Category"),
    gettext_lazy("Rank"),
    gettext_lazy("Teacher"),
    gettext_lazy("Sessions taught"),
    gettext_lazy("Responses"),
    gettext_lazy("Response rate (%)"),
    gettext_lazy("Mean rating"),
    gettext_lazy("Satisfaction rate (%)"),
    gettext_lazy("Against the county (points)"),
)
TAIL_HEADINGS = (
    gettext_lazy("Review score"),
    gettext_lazy("Composite score"),
    gettext_lazy("Flags"),
)


def trend_years(year: int) -> list[int]:
    return list(range(year - ranking.TREND_YEARS + 1, year + 1))


def ranking_headings(year: int) -> list:
    """The table's headings (call it in the language wanted: the trend's headings are built now)."""
    trend = [_("Satisfaction rate %(year)s (%%)") % {"year": trend_year} for trend_year in trend_years(year)]
    return [*HEADINGS, *trend, *TAIL_HEADINGS]


def ranking_groups(rows: list[ranking.RankingRow]) -> list[dict]:
    """The ranking per pool category, in the categories' order."""
    groups = {value: {"category": label, "rows": []} for value, label in TeacherCategory.choices}
    for row in rows:
        groups[row.teacher.category]["rows"].append(row)
    return [group for group in groups.values() if group["rows"]]


def export_cells(row: ranking.RankingRow) -> list:
    return [
        str(row.teacher.get_category_display()),
        row.rank or "",
        row.teacher.name,
        row.sessions_taught,
        row.responses,
        number(row.response_rate),
        number(row.mean_rating),
        number(row.satisfaction_rate),
        number(row.vs_county),
        *(number(rate) for rate in row.trend.values()),
        number(row.review_score),
        number(row.composite),
        "、".join(str(FLAG_LABELS[flag]) for flag in row.flags),
    ]


class TeacherRankingExport(ExportSource):
    """The ranking as a spreadsheet (the worker calls it with the export language active: headings,
    categories and flags in Chinese)."""

    @classmethod
    def clean_params(cls, params: Mapping) -> dict:
        year = int_or_none(params.get("year"))
        if year is None:
            raise ValueError(f"not a report year: {params.get('year')!r}")
        return {"year": year}

    def allowed(self) -> bool:
        return may_assess(self.user)

    def filename(self) -> str:
        return f"teacher-ranking-{self.params['year']}"

    def sheet_title(self) -> str:
        return _("Ranking %(year)s") % {"year": self.params["year"]}

    def headings(self):
        return [str(label) for label in ranking_headings(self.params["year"])]

    def open(self):
        groups = ranking_groups(ranking.teacher_ranking(self.params["year"]))
        cells = [export_cells(row) for group in groups for row in group["rows"]]
        return len(cells), cells


class TeacherRankingView(ReportBreadcrumbsMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "evaluation/admin/ranking.html"
    page_title = gettext_lazy("Teacher ranking")
    header_icon = "pick"

    def dispatch(self, request, *args, **kwargs):
        if not may_assess(request.user):
            return forbidden(request, self.page_title)
        self.year = report_year(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export")
        if fmt in ExportFormat.values:
            # Built by the background worker (TeacherRankingExport below).
            params = {"year": self.year}
            return export_started(request, kind=ExportKind.TEACHER_RANKING, params=params, fmt=fmt)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = ranking.teacher_ranking(self.year)
        scheme = rows[0].scheme if rows else ranking.scoring_scheme(self.year)
        trends = {}
        for row in rows:
            known = [(trend_year, rate) for trend_year, rate in row.trend.items() if rate is not None]
            row.trend_latest = known[-1] if known else None
            if known:  # the sparkline's values (sparkline.js), a gap for each year without a figure
                trends[str(row.teacher.pk)] = [
                    None if rate is None else float(rate) for rate in row.trend.values()
                ]
            row.badges = flag_badges(row.flags)
            row.vs_county_display = signed(row.vs_county)
            row.report_url = reverse("evaluation_feedback:teacher_report", args=[row.teacher.pk, self.year])
        context.update(
            year=self.year,
            years=year_choices(self.year),
            groups=ranking_groups(rows),
            summary=ranking.county_summary(rows),
            trend_years=trend_years(self.year),
            trends={"years": trend_years(self.year), "values": trends},
            scheme=scheme,
            weights=[
                {"label": PART_LABELS[name], "weight": weight} for name, weight in scheme.weights.items()
            ],
            assessment_url=f"{reverse('evaluation_assessment:index')}?year={self.year}",
            export_xlsx=f"?year={self.year}&export=xlsx",
            export_csv=f"?year={self.year}&export=csv",
        )
        return context

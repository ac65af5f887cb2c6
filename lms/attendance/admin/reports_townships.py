"""Per-township summary for the organization department: members, how many met the yearly
requirement and how many are behind, the share that met it, and the 5-year rotation coverage (the
share of members with an attended session at a party school in the five years up to the year).

A fixed number of queries whatever the number of members or years: the townships, and the members in
scope counted per township in the database (members, met, trained in the rotation window)."""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.attendance import selectors
from lms.attendance.admin.reports_common import (
    ReportBreadcrumbsMixin,
    forbidden,
    may_see_summary,
    report_year,
    year_choices,
)
from lms.exports.models import ExportFormat, ExportKind
from lms.exports.views import export_started
from lms.people.selectors import members_for_user, townships_managed_by

HEADINGS = (
    gettext_lazy("Township school"),
    gettext_lazy("Members"),
    gettext_lazy("Requirement met"),
    gettext_lazy("Behind"),
    gettext_lazy("Share met (per cent)"),
    gettext_lazy("Trained in five years"),
    gettext_lazy("Five-year rotation coverage (per cent)"),
)


@dataclass
class TownshipHours:
    township: object
    members: int = 0
    met: int = 0
    rotated: int = 0

    @property
    def behind(self) -> int:
        return self.members - self.met

    @property
    def share_met(self) -> float:
        return round(100 * self.met / self.members, 1) if self.members else 0.0

    @property
    def rotation_coverage(self) -> float:
        return round(100 * self.rotated / self.members, 1) if self.members else 0.0

    def cells(self) -> list:
        title = self.township.title if self.township else _("All townships")
        return [
            title,
            self.members,
            self.met,
            self.behind,
            self.share_met,
            self.rotated,
            self.rotation_coverage,
        ]


def rotation_window(year: int):
    start, _end = selectors.year_bounds(year - selectors.ROTATION_YEARS + 1)
    _start, end = selectors.year_bounds(year)
    return start, end


def township_summary(user, year: int) -> tuple[list[TownshipHours], TownshipHours]:
    """One row per township the user may see (in tree order), and the total.

    The database counts per township: who met the requirement comes from one set aggregated over the
    year's records, who trained in the rotation window from an index probe per member; no member's
    minutes leave the database."""
    start, end = rotation_window(year)
    rules = selectors.requirement_rules(year)
    met = Q(pk__in=selectors.members_meeting_requirement(year, rules)) | Q(
        category__in=[c for c, rule in rules.items() if rule.hours <= 0]
    )
    counts = (
        members_for_user(user)
        .order_by()
        .values("branch__township_id")
        .annotate(
            members=Count("pk"),
            met=Count("pk", filter=met),
            rotated=Count("pk", filter=selectors.members_trained_between(start, end)),
        )
    )
    rows = {township.pk: TownshipHours(township) for township in townships_managed_by(user).order_by("path")}
    total = TownshipHours(None)
    for counted in counts:
        for row in (rows.get(counted["branch__township_id"]), total):
            if row is None:
                continue
            row.members += counted["members"]
            row.met += counted["met"]
            row.rotated += counted["rotated"]
    return list(rows.values()), total


class TownshipSummaryView(ReportBreadcrumbsMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "attendance/admin/reports_townships.html"
    page_title = gettext_lazy("Training hours by township")
    header_icon = "table"

    def dispatch(self, request, *args, **kwargs):
        if not may_see_summary(request.user):
            return forbidden(
                request, self.page_title, _("Only the organization department may see this summary.")
            )
        self.year = report_year(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export")
        if fmt in ExportFormat.values:
            # Built by the background worker (lms.attendance.exports.TownshipSummaryExport).
            params = {"year": self.year}
            return export_started(request, kind=ExportKind.TOWNSHIP_SUMMARY, params=params, fmt=fmt)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows, total = township_summary(self.request.user, self.year)
        context.update(
            year=self.year,
            years=year_choices(self.year),
            rows=rows,
            total=total,
            rotation_first_year=self.year - selectors.ROTATION_YEARS + 1,
        )
        return context

"""Per-township summary for the organization department: members, how many met the yearly
requirement and how many are behind, the share that met it, and the 5-year rotation coverage (the
share of members with an attended session at a party school in the five years up to the year).

Two queries whatever the number of members: the townships, and every member in scope with their
counted and required minutes and whether they trained in the rotation window."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
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
from lms.attendance.models import ATTENDED_STATUSES, AttendanceRecord
from lms.exports.models import ExportFormat, ExportKind
from lms.exports.views import export_started
from lms.people.selectors import townships_managed_by

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
    """One row per township the user may see (in tree order), and the total."""
    start, end = rotation_window(year)
    trained = AttendanceRecord.objects.filter(
        member=OuterRef("pk"),
        status__in=ATTENDED_STATUSES,
        session__starts_at__gte=start,
        session__starts_at__lt=end,
    )
    rows = {township.pk: TownshipHours(township) for township in townships_managed_by(user).order_by("path")}
    total = TownshipHours(None)
    members = (
        selectors.members_with_hours(user, year)
        .annotate(rotated=Exists(trained))
        .values_list("branch__township_id", "counted_minutes", "required_minutes", "rotated")
        .order_by()
    )
    for township_id, counted, required, rotated in members:
        for row in (rows.get(township_id), total):
            if row is None:
                continue
            row.members += 1
            row.met += counted >= required
            row.rotated += bool(rotated)
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

"""Members behind the yearly requirement: scoped (township staff their township, city staff the city,
the organization department everything), filterable by township and branch, grouped by township,
with counted against required hours; downloadable as XLSX or CSV.

Who is behind comes from `members_behind` (everyone in scope but one set of those who met the
requirement, aggregated over the year's records only); the page then works out the minutes of its
own 200 members. The page costs the same few queries however many members and years there are."""

from itertools import groupby

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.attendance import selectors
from lms.attendance.admin.reports_common import (
    ReportBreadcrumbsMixin,
    forbidden,
    hours,
    int_param,
    may_see_hours,
    report_year,
    year_choices,
)
from lms.exports.models import ExportFormat, ExportKind
from lms.exports.views import export_started
from lms.people.models import Member
from lms.people.selectors import branches_for_user, members_for_user, townships_managed_by

PER_PAGE = 200

HEADINGS = (
    gettext_lazy("Township school"),
    gettext_lazy("Branch"),
    gettext_lazy("Full name"),
    gettext_lazy("Phone"),
    gettext_lazy("Category"),
    gettext_lazy("Counted hours"),
    gettext_lazy("Required hours"),
    gettext_lazy("Hours missing"),
)


def behind_filtered(user, year: int, township_id: int | None, branch_id: int | None) -> QuerySet[Member]:
    members = selectors.members_behind(user, year)
    if township_id:
        members = members.filter(branch__township_id=township_id)
    if branch_id:
        members = members.filter(branch_id=branch_id)
    return members


def behind_row(member: Member) -> dict:
    counted, required = hours(member.counted_minutes), hours(member.required_minutes)
    return {
        "member": member,
        "township": member.branch.township,
        "counted_hours": counted,
        "required_hours": required,
        "missing_hours": required - counted,
    }


def export_cells(member: Member) -> list:
    row = behind_row(member)
    return [
        row["township"].title,
        member.branch.name,
        member.name,
        member.phone,
        str(member.get_category_display()),
        float(row["counted_hours"]),
        float(row["required_hours"]),
        float(row["missing_hours"]),
    ]


class MembersBehindView(ReportBreadcrumbsMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "attendance/admin/reports_behind.html"
    page_title = gettext_lazy("Members behind the yearly requirement")
    header_icon = "warning"

    def dispatch(self, request, *args, **kwargs):
        if not may_see_hours(request.user):
            return forbidden(request, self.page_title)
        self.year = report_year(request)
        self.township_id = int_param(request, "township")
        self.branch_id = int_param(request, "branch")
        return super().dispatch(request, *args, **kwargs)

    def members(self) -> QuerySet[Member]:
        return behind_filtered(self.request.user, self.year, self.township_id, self.branch_id)

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export")
        if fmt in ExportFormat.values:
            # Built by the background worker (lms.attendance.exports.MembersBehindExport): the
            # request only records the export and redirects to its progress page.
            params = {"year": self.year, "township": self.township_id, "branch": self.branch_id}
            return export_started(request, kind=ExportKind.MEMBERS_BEHIND, params=params, fmt=fmt)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        # Every id behind, in order, in one query (who is behind needs nobody's minutes; a list of ids
        # is both the count and the page), then the minutes of the page's 200 only.
        page = Paginator(list(self.members().values_list("pk", flat=True)), PER_PAGE).get_page(
            self.request.GET.get("p")
        )
        ids = list(page.object_list)
        members = {member.pk: member for member in members_for_user(user).filter(pk__in=ids)}
        rows = [behind_row(member) for member in selectors.with_hours([members[pk] for pk in ids], self.year)]
        groups = [
            {"township": township_rows[0]["township"], "rows": township_rows}
            for _id, group in groupby(rows, key=lambda row: row["township"].pk)
            for township_rows in [list(group)]
        ]
        in_scope = members_for_user(user)
        if self.township_id:
            in_scope = in_scope.filter(branch__township_id=self.township_id)
        if self.branch_id:
            in_scope = in_scope.filter(branch_id=self.branch_id)
        branches = branches_for_user(user).order_by("township__path", "name")
        if self.township_id:
            branches = branches.filter(township_id=self.township_id)
        filters = {"year": self.year, "township": self.township_id or "", "branch": self.branch_id or ""}
        context.update(
            year=self.year,
            years=year_choices(self.year),
            townships=townships_managed_by(user).order_by("path"),
            branches=branches,
            township_id=self.township_id,
            branch_id=self.branch_id,
            page=page,
            groups=groups,
            behind_count=page.paginator.count,
            member_count=in_scope.count(),
            query=urlencode(filters),
            export_xlsx="?" + urlencode({**filters, "export": "xlsx"}),
            export_csv="?" + urlencode({**filters, "export": "csv"}),
        )
        return context

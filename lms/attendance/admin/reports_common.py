"""What the hours reports share: who may see which report, the chosen year, hours from minutes,
and the page shown to those who may not see a report."""

from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.attendance.hours_views import days, hours  # noqa: F401 (re-exported for the reports)
from lms.people.selectors import is_org_dept, is_staff_user

FIRST_YEAR = 2000


def may_see_hours(user) -> bool:
    """Staff see the hours of the members in their scope."""
    return is_staff_user(user)


def may_see_summary(user) -> bool:
    """The per-township summary is the organization department's."""
    return is_org_dept(user)


def report_year(request) -> int:
    """`?year=`, else this year (an unreadable or far-off year falls back to this year)."""
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", this_year))
    except (TypeError, ValueError):
        return this_year
    return year if FIRST_YEAR <= year <= this_year + 1 else this_year


def year_choices(year: int) -> list[int]:
    this_year = timezone.localdate().year
    return sorted({*range(this_year + 1, this_year - 6, -1), year}, reverse=True)


def int_param(request, name: str) -> int | None:
    try:
        return int(request.GET.get(name) or "")
    except ValueError:
        return None


def forbidden(request, page_title, message: str | None = None) -> TemplateResponse:
    context = {"page_title": page_title, "message": message or _("You may not see this report.")}
    return TemplateResponse(request, "attendance/admin/reports_forbidden.html", context, status=403)


class ReportBreadcrumbsMixin:
    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

"""What the evaluation reports share: who may see which report, the flags' words, and the helpers of
the hours reports (year picker, the 403 page, breadcrumbs)."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem

from lms.attendance.admin.reports_common import (  # noqa: F401 (re-exported for the evaluation reports)
    FIRST_YEAR,
    ReportBreadcrumbsMixin,
    forbidden,
    int_param,
    report_year,
    year_choices,
)
from lms.evaluation import ranking
from lms.people.selectors import is_org_dept, is_staff_user

FLAG_LABELS = {
    ranking.NOT_AWARD_ELIGIBLE: _("Not eligible for awards"),
    ranking.RECTIFICATION: _("Rectification required"),
    ranking.REMOVAL_RECOMMENDED: _("Removal from the pool recommended"),
}

PART_LABELS = {
    "satisfaction": _("Satisfaction rate"),
    "rating": _("Mean rating"),
    "review": _("Department review"),
    "sessions": _("Sessions taught"),
}


def may_see_session_results(user) -> bool:
    """Staff see the results of their schools' sessions (the organization department all of them)."""
    return is_staff_user(user)


def may_assess(user) -> bool:
    """The ranking and the yearly assessment are the organization department's."""
    return is_org_dept(user)


def menu_item_shown_to(name: str, may_see) -> type[MenuItem]:
    def is_shown(_item, request):
        return may_see(request.user)

    return type(name, (MenuItem,), {"is_shown": is_shown})


def flag_badges(flags: list[str]) -> list[dict]:
    return [{"code": flag, "label": FLAG_LABELS[flag]} for flag in flags]


def signed(value: Decimal | None) -> str:
    """Percentage points with their sign (+1.5, −3.0), empty when unknown."""
    if value is None:
        return ""
    return f"{value:+.1f}".replace("-", "−")


def number(value: Decimal | None):
    """A figure for a spreadsheet cell: a float, or empty when unknown."""
    return "" if value is None else float(value)

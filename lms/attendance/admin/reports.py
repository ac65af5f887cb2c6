"""Hours reports and requirement rules in the admin (registers its hooks on import).

The 学时 (Training hours) menu: members behind the yearly requirement (staff, scoped, with XLSX and
CSV downloads), the per-township summary with the 5-year rotation coverage (organization
department), and the yearly requirements (set by the organization department, read by other staff).
"""

from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup

from lms.attendance.admin.reports_behind import MembersBehindView
from lms.attendance.admin.reports_common import may_see_hours, may_see_summary
from lms.attendance.admin.reports_rules import RequirementRulesView
from lms.attendance.admin.reports_townships import TownshipSummaryView


def menu_item_shown_to(name: str, may_see) -> type[MenuItem]:
    def is_shown(_item, request):
        return may_see(request.user)

    return type(name, (MenuItem,), {"is_shown": is_shown})


class MembersBehindViewSet(ViewSet):
    name = "attendance_hours_behind"
    url_prefix = "attendance/hours/behind"
    icon = "warning"
    menu_label = _("Members behind")

    @cached_property
    def menu_item_class(self):
        return menu_item_shown_to("MembersBehindMenuItem", may_see_hours)

    def get_urlpatterns(self):
        return [path("", MembersBehindView.as_view(), name="index")]


class TownshipSummaryViewSet(ViewSet):
    name = "attendance_hours_townships"
    url_prefix = "attendance/hours/townships"
    icon = "table"
    menu_label = _("By township")

    @cached_property
    def menu_item_class(self):
        return menu_item_shown_to("TownshipSummaryMenuItem", may_see_summary)

    def get_urlpatterns(self):
        return [path("", TownshipSummaryView.as_view(), name="index")]


class RequirementRulesViewSet(ViewSet):
    name = "attendance_hours_rules"
    url_prefix = "attendance/hours/requirements"
    icon = "date"
    menu_label = _("Yearly requirements")

    @cached_property
    def menu_item_class(self):
        return menu_item_shown_to("RequirementRulesMenuItem", may_see_hours)

    def get_urlpatterns(self):
        return [path("", RequirementRulesView.as_view(), name="index")]


class TrainingHoursViewSetGroup(ViewSetGroup):
    menu_label = _("Training hours")
    menu_icon = "time"
    menu_order = 230
    items = (MembersBehindViewSet, TownshipSummaryViewSet, RequirementRulesViewSet)


@hooks.register("register_admin_viewset")
def register_training_hours_viewsets():
    return TrainingHoursViewSetGroup()

"""The 统计 (Figures) menu item and the dashboard's pages under /admin/stats/."""

from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet

from lms.stats import selectors, views


class FiguresMenuItem(MenuItem):
    def is_shown(self, request):
        return selectors.may_see_stats(request.user)


class StatsViewSet(ViewSet):
    name = "figures"
    url_prefix = "stats"
    icon = "table"
    menu_label = _("Figures")
    menu_order = 150
    add_to_admin_menu = True

    @cached_property
    def menu_item_class(self):
        return FiguresMenuItem

    def get_urlpatterns(self):
        return [
            path("", views.DashboardView.as_view(), name="index"),
            path("townships/<int:pk>/", views.TownshipDashboardView.as_view(), name="township"),
            path("branches/<int:pk>/", views.BranchDashboardView.as_view(), name="branch"),
            path("members/<int:pk>/", views.MemberLedgerView.as_view(), name="member"),
            path("reports/", views.report_start, name="report_start"),
            path("reports/<int:pk>/", views.ReportView.as_view(), name="report"),
            path("reports/<int:pk>/status/", views.report_status, name="report_status"),
            path("reports/<int:pk>/download.<str:fmt>", views.report_download, name="report_download"),
        ]


@hooks.register("register_admin_viewset")
def register_stats_viewset():
    return StatsViewSet()

"""The 我的导出 (My exports) menu item and the export pages' URLs under /admin/exports/."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSet

from lms.exports import views


class ExportsViewSet(ViewSet):
    name = "exports"
    url_prefix = "exports"
    icon = "download"
    menu_label = _("My exports")
    menu_order = 900
    add_to_admin_menu = True

    def get_urlpatterns(self):
        return [
            path("", views.ExportListView.as_view(), name="index"),
            path("<int:pk>/", views.ExportJobView.as_view(), name="job"),
            path("<int:pk>/status/", views.export_status, name="status"),
            path("<int:pk>/download/", views.export_download, name="download"),
        ]


@hooks.register("register_admin_viewset")
def register_exports_viewset():
    return ExportsViewSet()

"""The 视频 (Videos) menu item and the videos' admin URLs under /admin/videos/."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet

from lms.people.selectors import is_org_dept, is_staff_user
from lms.vod import admin_views


class StaffMenuItem(MenuItem):
    def is_shown(self, request):
        return is_org_dept(request.user) or is_staff_user(request.user)


class VideosViewSet(ViewSet):
    name = "vod_admin"
    url_prefix = "videos"
    icon = "media"
    menu_label = _("Videos")
    menu_order = 450
    add_to_admin_menu = True

    def get_menu_item(self, order=None):
        return StaffMenuItem(
            label=self.menu_label,
            url=self.menu_url,
            name=self.menu_name,
            icon_name=self.menu_icon,
            order=order or self.menu_order,
        )

    def get_urlpatterns(self):
        return [
            path("", admin_views.VideoListView.as_view(), name="index"),
            path("upload/", admin_views.VideoUploadView.as_view(), name="upload"),
            path("<int:pk>/", admin_views.VideoView.as_view(), name="video"),
            path("<int:pk>/state/", admin_views.video_state_fragment, name="state"),
            path("<int:pk>/retry/", admin_views.video_retry, name="retry"),
            path("<int:pk>/delete/", admin_views.VideoDeleteView.as_view(), name="delete"),
            path("session/<int:session_id>/", admin_views.session_recording, name="session"),
        ]


@hooks.register("register_admin_viewset")
def register_videos_viewset():
    return VideosViewSet()

"""The 在线学习 (Online learning) admin pages under /admin/learning/."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from lms.learning import admin_views
from lms.people.selectors import is_org_dept, is_staff_user


class StaffMenuItem(MenuItem):
    def is_shown(self, request):
        return is_org_dept(request.user) or is_staff_user(request.user)


@hooks.register("register_admin_urls")
def learning_admin_urls():
    from django.urls import include

    patterns = [
        path("", admin_views.LearningVideosView.as_view(), name="videos"),
        path("<int:pk>/", admin_views.LearningVideoView.as_view(), name="video"),
        path("rules/", admin_views.StudyRulesView.as_view(), name="rules"),
    ]
    return [path("learning/", include((patterns, "learning_admin"), namespace="learning_admin"))]


@hooks.register("register_admin_menu_item")
def learning_menu_item():
    return StaffMenuItem(_("Online learning"), reverse("learning_admin:videos"), icon_name="media", order=460)

"""Roll call, leave requests and attendance sheets in the admin (registers its hooks on import).

The 考勤 (Attendance) menu: the user's sessions (today's and recent first), each with its roll call,
printable sheet and the records' history; and the pending leave requests of those sessions.
"""

from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup

from lms.attendance.admin.rollcall_leave import LeaveDecideView, LeaveRequestListView
from lms.attendance.admin.rollcall_views import HistoryView, RollCallView, SessionListView, SheetView
from lms.people.selectors import is_staff_user


def staff_only_menu_item(name: str) -> type[MenuItem]:
    def is_shown(_item, request):
        return is_staff_user(request.user)

    return type(name, (MenuItem,), {"is_shown": is_shown})


class RollCallViewSet(ViewSet):
    name = "attendance_rollcall"
    url_prefix = "attendance/roll-call"
    icon = "tasks"
    menu_label = _("Roll call")

    @cached_property
    def menu_item_class(self):
        return staff_only_menu_item("RollCallMenuItem")

    def get_urlpatterns(self):
        return [
            path("", SessionListView.as_view(), name="index"),
            path("sessions/<int:pk>/", RollCallView.as_view(), name="session"),
            path("sessions/<int:pk>/sheet/", SheetView.as_view(), name="sheet"),
            path("records/<int:pk>/history/", HistoryView.as_view(), name="history"),
        ]


class LeaveRequestViewSet(ViewSet):
    name = "attendance_leave"
    url_prefix = "attendance/leave"
    icon = "calendar-check"
    menu_label = _("Leave requests")

    @cached_property
    def menu_item_class(self):
        return staff_only_menu_item("LeaveRequestMenuItem")

    def get_urlpatterns(self):
        return [
            path("", LeaveRequestListView.as_view(), name="index"),
            path("<int:pk>/decide/", LeaveDecideView.as_view(), name="decide"),
        ]


class AttendanceViewSetGroup(ViewSetGroup):
    menu_label = _("Attendance")
    menu_icon = "tasks"
    menu_order = 220
    items = (RollCallViewSet, LeaveRequestViewSet)


@hooks.register("register_admin_viewset")
def register_attendance_viewsets():
    return AttendanceViewSetGroup()

"""The bell in Wagtail's admin menu: 通知 with the staff member's unread count, leading to their list;
and 未送达的提醒 for the organization department (admin_views.py)."""

from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem as LinkMenuItemComponent
from wagtail.admin.viewsets.base import ViewSet

from lms.notifications.admin_views import UndeliveredView
from lms.notifications.selectors import unread_count
from lms.people.selectors import is_org_dept


class NotificationsMenuItem(MenuItem):
    def render_component(self, request):
        count = unread_count(request.user)
        label = _("Notifications (%(count)d unread)") % {"count": count} if count else _("Notifications")
        return LinkMenuItemComponent(
            self.name, label, self.url, icon_name=self.icon_name, classname=self.classname, attrs=self.attrs
        )


@hooks.register("register_admin_menu_item")
def register_notifications_menu_item():
    return NotificationsMenuItem(
        gettext_lazy("Notifications"),
        reverse("notifications:list"),
        name="notifications",
        icon_name="mail",
        order=50,
    )


class UndeliveredViewSet(ViewSet):
    name = "notifications_undelivered"
    url_prefix = "notifications/undelivered"
    icon = "warning"
    menu_label = gettext_lazy("Undelivered reminders")
    menu_order = 51
    add_to_admin_menu = True

    @cached_property
    def menu_item_class(self):
        def is_shown(_item, request):
            return is_org_dept(request.user)

        return type("UndeliveredMenuItem", (MenuItem,), {"is_shown": is_shown})

    def get_urlpatterns(self):
        return [path("", UndeliveredView.as_view(), name="index")]


@hooks.register("register_admin_viewset")
def register_undelivered_viewset():
    return UndeliveredViewSet()

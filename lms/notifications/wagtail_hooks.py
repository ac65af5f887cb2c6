"""The bell in Wagtail's admin menu: 通知 with the staff member's unread count, leading to their list."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem as LinkMenuItemComponent

from lms.notifications.selectors import unread_count


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

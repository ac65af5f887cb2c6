"""Activation slips in the admin, as an item of the 人员 (People) menu; the log action they write."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, SubmenuMenuItem
from wagtail.log_actions import LogFormatter

from lms.accounts.admin_views import SlipsViewSet
from lms.accounts.services import SLIPS_ISSUED

slips_viewset = SlipsViewSet()


@hooks.register("register_admin_viewset")
def register_slips_viewset():
    return slips_viewset


@hooks.register("construct_main_menu")
def add_slips_to_people_menu(request, menu_items):
    """The People group (lms/people/admin/viewsets.py) has no submenu hook, so its item is replaced,
    for this request only, by a copy whose menu ends with the slips."""
    members_url = reverse("people_members:index")
    for position, item in enumerate(menu_items):
        if not isinstance(item, SubmenuMenuItem):
            continue
        inner = item.menu.registered_menu_items
        if not any(getattr(entry, "url", None) == members_url for entry in inner):
            continue
        slips = slips_viewset.get_menu_item(order=max((entry.order for entry in inner), default=0) + 1)
        menu_items[position] = SubmenuMenuItem(
            label=item.label,
            menu=Menu(items=[*inner, slips]),
            name=item.name,
            icon_name=item.icon_name,
            classname=item.classname,
            attrs=item.attrs,
            order=item.order,
        )
        return


@hooks.register("register_log_actions")
def register_accounts_actions(actions):
    @actions.register_action(SLIPS_ISSUED)
    class SlipsIssued(LogFormatter):
        label = _("Print activation slips")

        def format_message(self, log_entry):
            return _("Printed %(count)s activation slips") % {"count": log_entry.data.get("count", 0)}

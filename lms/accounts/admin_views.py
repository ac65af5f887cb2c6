"""Activation slips in the admin (人员 → 激活单): township staff print, per branch, a one-time code for
each member who cannot receive texts. Branches come from the user's scope (another township's is a
404); printing is a POST because it issues codes, and its answer is the print-ready page."""

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from lms.accounts import selectors, services, throttle
from lms.people.selectors import is_staff_user, townships_managed_by

SLIPS_PER_PAGE = 8  # 2 columns × 4 rows on A4: room for large print and the whole address
QR_SCALE = 3


class StaffOnlyMixin:
    def dispatch(self, request, *args, **kwargs):
        if not is_staff_user(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SlipBranchesView(StaffOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "accounts/admin/slip_branches.html"
    page_title = _("Activation slips")
    header_icon = "key"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        branches = selectors.slip_branches_for_user(user)
        townships = list(townships_managed_by(user).order_by("path"))
        township = self.request.GET.get("township", "")
        if township.isdigit():
            branches = branches.filter(township_id=int(township))
        elif len(townships) > 1:
            branches = branches.none()  # the city school picks a township first
        context["branches"] = branches
        context["townships"] = townships
        context["township"] = int(township) if township.isdigit() else None
        context["slip_days"] = settings.ACCOUNTS_SLIP_DAYS
        return context


class SlipPrintView(StaffOnlyMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        branch = get_object_or_404(selectors.slip_branches_for_user(request.user), pk=pk)
        slips = services.slips_issue(
            actor=request.user, branch=branch, only_not_activated=bool(request.POST.get("only_not_activated"))
        )
        activate_url = site_url(request, reverse("accounts:activate_code"))
        return render(
            request,
            "accounts/admin/slips_print.html",
            {
                "branch": branch,
                "pages": [slips[i : i + SLIPS_PER_PAGE] for i in range(0, len(slips), SLIPS_PER_PAGE)],
                "count": len(slips),
                "activate_url": activate_url,
                "qr_svg": segno.make(activate_url, error="m").svg_inline(scale=QR_SCALE, omitsize=True),
                "printed_by": request.user,
            },
        )


def site_url(request, path: str) -> str:
    """The public address (BASE_URL) when set, so slips printed on an intranet still point members to
    the site they can reach; else the address the staff member used."""
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    if base and "127.0.0.1" not in base and "localhost" not in base:
        return base + path
    return request.build_absolute_uri(path)


class SlipsViewSet(ViewSet):
    name = "accounts_slips"
    url_prefix = "accounts/slips"
    icon = "key"
    menu_label = _("Activation slips")

    @cached_property
    def menu_item_class(self):
        def is_shown(_item, request):
            return is_staff_user(request.user)

        return type("SlipsMenuItem", (MenuItem,), {"is_shown": is_shown})

    def get_urlpatterns(self):
        return [
            path("", SlipBranchesView.as_view(), name="index"),
            path("<int:pk>/print/", SlipPrintView.as_view(), name="print"),
        ]


class LockedLoginsView(StaffOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    """Logins locked after too many wrong passwords (人员 → 登录锁定), each with an unlock button."""

    template_name = "accounts/admin/locked_logins.html"
    page_title = _("Locked logins")
    header_icon = "lock"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["logins"] = selectors.locked_logins_for_user(self.request.user)
        context["addresses"] = selectors.locked_addresses_for_user(self.request.user)
        context["lock_minutes"] = throttle.lockout_minutes()
        context["account_limit"] = settings.AXES_FAILURE_LIMIT
        context["address_limit"] = settings.LOGIN_FAILURES_PER_ADDRESS
        return context


class UnlockView(StaffOnlyMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        username = request.POST.get("username", "")
        ip_address = request.POST.get("ip_address", "")
        if username:
            services.login_unlock(actor=request.user, username=username)
            messages.success(request, gettext("Unlocked the login %(username)s.") % {"username": username})
        elif ip_address:
            try:
                services.address_unlock(actor=request.user, ip_address=ip_address)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, gettext("Unlocked the address %(ip)s.") % {"ip": ip_address})
        return redirect("accounts_locked:index")


class LockedLoginsViewSet(ViewSet):
    name = "accounts_locked"
    url_prefix = "accounts/locked"
    icon = "lock"
    menu_label = _("Locked logins")

    @cached_property
    def menu_item_class(self):
        def is_shown(_item, request):
            return is_staff_user(request.user)

        return type("LockedLoginsMenuItem", (MenuItem,), {"is_shown": is_shown})

    def get_urlpatterns(self):
        return [
            path("", LockedLoginsView.as_view(), name="index"),
            path("unlock/", UnlockView.as_view(), name="unlock"),
        ]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """The admin home: a panel per role with what they do today (no models)."""

    name = "lms.dashboard"
    label = "dashboard"
    verbose_name = _("Dashboard")

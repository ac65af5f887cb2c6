from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    """Seeing the county (统计): dashboards with charts, drill-down, the annual report and the statistics
    API."""

    name = "lms.stats"
    label = "stats"
    verbose_name = _("Statistics")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    """County-size spreadsheets (导出) built by the background worker, with progress and a private
    download for the staff user who asked."""

    name = "lms.exports"
    label = "exports"
    verbose_name = _("Exports")

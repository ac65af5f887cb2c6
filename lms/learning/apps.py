from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    """On-demand learning (在线学习): viewings, watched seconds, credit to the hours ledger, make-up for
    missed sessions, and the department's rules."""

    name = "lms.learning"
    label = "learning"
    verbose_name = _("Online learning")

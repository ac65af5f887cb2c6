from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "lms.evaluation"
    label = "evaluation"
    verbose_name = _("Teacher evaluation")
    default_auto_field = "django.db.models.BigAutoField"

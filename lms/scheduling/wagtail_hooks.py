"""Scheduling in the admin: the 培训 (Training) menu and the log actions.

The permission policies are registered when this module is imported, before the viewsets are
registered (see `lms/people/wagtail_hooks.py` for why the order matters).
"""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.log_actions import LogFormatter
from wagtail.permissions import register_permission_policy

from lms.scheduling.admin.permissions import annual_plan_permission_policy, training_class_permission_policy
from lms.scheduling.admin.viewsets import TrainingViewSetGroup
from lms.scheduling.models import AnnualPlan, TrainingClass

register_permission_policy(TrainingClass, training_class_permission_policy)
register_permission_policy(AnnualPlan, annual_plan_permission_policy)


@hooks.register("register_admin_viewset")
def register_scheduling_viewsets():
    return TrainingViewSetGroup()


@hooks.register("register_log_actions")
def register_scheduling_actions(actions):
    @actions.register_action("scheduling.cancel")
    class CancelClass(LogFormatter):
        label = _("Cancel class")

        def format_message(self, log_entry):
            return _("Cancelled: %(reason)s") % {"reason": log_entry.data.get("reason", "")}

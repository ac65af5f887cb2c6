"""Scheduling in the admin: log actions (the class and plan views register here too)."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.log_actions import LogFormatter


@hooks.register("register_log_actions")
def register_scheduling_actions(actions):
    @actions.register_action("scheduling.cancel")
    class CancelClass(LogFormatter):
        label = _("Cancel class")

        def format_message(self, log_entry):
            return _("Cancelled: %(reason)s") % {"reason": log_entry.data.get("reason", "")}

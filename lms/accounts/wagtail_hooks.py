"""The log action activation slips write. The slips page itself sits in the 人员 (People) menu group,
registered by lms/people/wagtail_hooks.py."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.log_actions import LogFormatter

from lms.accounts.services import LOGIN_UNLOCKED, SLIPS_ISSUED


@hooks.register("register_log_actions")
def register_accounts_actions(actions):
    @actions.register_action(SLIPS_ISSUED)
    class SlipsIssued(LogFormatter):
        label = _("Print activation slips")

        def format_message(self, log_entry):
            return _("Printed %(count)s activation slips") % {"count": log_entry.data.get("count", 0)}

    @actions.register_action(LOGIN_UNLOCKED)
    class LoginUnlocked(LogFormatter):
        label = _("Unlock login")

        def format_message(self, log_entry):
            return _("Unlocked the login after too many wrong passwords")

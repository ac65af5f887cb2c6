from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Reminders (提醒): in-app notifications with e-mail and SMS as channels, each sent once, never at
    night."""

    name = "lms.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

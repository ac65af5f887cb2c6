from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "lms.scheduling"
    label = "scheduling"
    verbose_name = _("Scheduling")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from lms import fragments
        from lms.scheduling import signals

        post_migrate.connect(_refresh_role_permissions, sender=self)
        signals.connect()
        fragments.install()  # "My training" is cached until scheduling, leave or places change


def _refresh_role_permissions(sender, using="default", **kwargs):
    """An existing database gets the scheduling permissions for its role groups on migrate
    (a fresh one gets them when the first role is granted)."""
    from django.contrib.auth.models import Group

    from lms.people.roles import Role
    from lms.people.services import roles_ensure

    if Group.objects.using(using).filter(name__in=[role.value for role in Role]).exists():
        roles_ensure()

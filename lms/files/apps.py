from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilesConfig(AppConfig):
    """Who may see which document and image: per-school collections, view restrictions, the media gate."""

    name = "lms.files"
    label = "files"
    verbose_name = _("Files")

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_protect_existing_schools, sender=self)


def _protect_existing_schools(sender, using="default", **kwargs):
    """An existing database gets the schools' restricted and public collections on migrate (a new
    school gets them when its first staff member is granted, see people.services)."""
    from lms.files.services import schools_files_ensure

    schools_files_ensure()

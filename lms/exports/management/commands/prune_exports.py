"""Delete exports (and their files) older than EXPORTS_KEEP_DAYS; for a daily cron line."""

from django.core.management.base import BaseCommand

from lms.exports import services


class Command(BaseCommand):
    help = "Delete finished exports and their files older than EXPORTS_KEEP_DAYS."

    def handle(self, *args, **options):
        deleted = services.exports_prune()
        self.stdout.write(f"{deleted} old exports deleted.")

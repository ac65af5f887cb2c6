"""`manage.py advance_classes`: published classes are in progress on their days and finished after.

Run it from cron shortly after midnight (Asia/Shanghai); running it again the same day changes nothing.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lms.scheduling.services import class_statuses_advance


class Command(BaseCommand):
    help = (
        "Advance training-class statuses by the calendar: published classes become in progress on their "
        "days and finished after them. Drafts and cancelled classes are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            dest="today",
            metavar="YYYY-MM-DD",
            help="Take this day as today (default: the local date).",
        )

    def handle(self, *args, **options):
        today = timezone.localdate()
        if options.get("today"):
            try:
                today = date.fromisoformat(options["today"])
            except ValueError as error:
                raise CommandError(f"--date must be YYYY-MM-DD, got {options['today']!r}.") from error
        changed = class_statuses_advance(today=today)
        noun = "class" if changed == 1 else "classes"
        self.stdout.write(f"{changed} training {noun} changed status as of {today.isoformat()}.")

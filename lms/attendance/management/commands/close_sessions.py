"""`manage.py close_sessions`: close the sessions that have ended (approved leave → excused, everyone
else enrolled without a record → absent).

Run it from cron every few minutes; running it again writes nothing new.
"""

from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lms.attendance.services import attendance_close_ended_sessions


class Command(BaseCommand):
    help = (
        "Close the sessions that have ended: members on approved leave are marked excused, every other "
        "enrolled member without a record absent. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=7,
            help="Look at sessions that ended in the last DAYS days (default 7).",
        )
        parser.add_argument(
            "--now",
            metavar="YYYY-MM-DDTHH:MM",
            help="Take this local time as now (default: the current time).",
        )

    def handle(self, *args, **options):
        now = timezone.now()
        if options.get("now"):
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError as error:
                raise CommandError(f"--now must be YYYY-MM-DDTHH:MM, got {options['now']!r}.") from error
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        written = attendance_close_ended_sessions(now=now, since=now - timedelta(days=options["days"]))
        noun = "record" if written == 1 else "records"
        self.stdout.write(f"{written} attendance {noun} written for ended sessions.")

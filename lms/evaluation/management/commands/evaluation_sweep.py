"""`manage.py evaluation_sweep`: open the evaluation of every taught session that has ended, count the
sealed ballots of every evaluation that has closed, and remind members who attended but have not
answered when their evaluation closes soon.

Run it from cron every few minutes (deploy/lms.cron); running it again writes nothing new. Ballots the
key cannot open are left sealed and reported (exit status 1), never dropped.
"""

from django.core.management.base import BaseCommand, CommandError

from lms.evaluation.counting import evaluations_count_closed
from lms.evaluation.services import evaluation_reminders_send, evaluations_open_ended


class Command(BaseCommand):
    help = (
        "Open evaluations of ended sessions, count closed ones, send reminders before they close. Idempotent."
    )

    def handle(self, *args, **options):
        opened = evaluations_open_ended()
        counted = evaluations_count_closed()
        report = evaluation_reminders_send()
        self.stdout.write(
            f"{opened} evaluation(s) opened; {len(counted.counted)} counted ({counted.ballots} ballot(s)); "
            f"{report.reminded} reminder(s), {report.emailed} by e-mail."
        )
        if counted.refused:
            raise CommandError("\n".join(str(error) for error in counted.refused))

"""`manage.py evaluation_sweep`: open the evaluation of every taught session that has ended, and remind
members who attended but have not answered when their evaluation closes soon.

Run it from cron every few minutes (deploy/lms.cron); running it again writes nothing new.
"""

from django.core.management.base import BaseCommand

from lms.evaluation.services import evaluation_reminders_send, evaluations_open_ended


class Command(BaseCommand):
    help = "Open evaluations of ended sessions and send reminders before they close. Idempotent."

    def handle(self, *args, **options):
        opened = evaluations_open_ended()
        report = evaluation_reminders_send()
        self.stdout.write(
            f"{opened} evaluation(s) opened; {report.reminded} reminder(s), {report.emailed} by e-mail."
        )

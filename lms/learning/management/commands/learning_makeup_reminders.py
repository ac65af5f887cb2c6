"""`manage.py learning_makeup_reminders`: tell members who owe make-up (补学) for a recent recording that
they can watch it. Run it from cron (hourly is plenty); it hands the work to the task worker, and
running it again tells nobody twice."""

from django.core.management.base import BaseCommand

from lms.learning.tasks import makeup_reminders


class Command(BaseCommand):
    help = "Remind members who owe make-up for a recent recording (by the worker). Idempotent."

    def handle(self, *args, **options):
        result = makeup_reminders.enqueue()
        if result.is_finished:  # the immediate backend ran it here
            self.stdout.write(f"{result.return_value} member(s) reminded of make-up.")
        else:
            self.stdout.write(f"Reminders queued for the worker ({result.id}).")

"""`manage.py quiz_sweep`: submit every attempt whose time ran out (as it stood, marked at once).
Run it every minute from cron (deploy/lms.cron); attempts are also submitted when anyone touches them
and, with the database worker, by a task queued for each deadline. Idempotent."""

from django.core.management.base import BaseCommand

from lms.quizzes.services import attempts_expire


class Command(BaseCommand):
    help = "Submit attempts whose time has run out. Idempotent."

    def handle(self, *args, **options):
        self.stdout.write(f"{attempts_expire()} attempt(s) submitted when time ran out.")

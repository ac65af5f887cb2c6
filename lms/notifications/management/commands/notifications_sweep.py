"""`manage.py notifications_sweep`: remind enrolled members of classes starting tomorrow, return to
pending the deliveries claimed longer than NOTIFICATIONS_CLAIM_TIMEOUT ago (their worker died), then
send the e-mail and SMS that are due (none in quiet hours). Run it from cron every few minutes
(deploy/lms.cron); it hands the work to the task worker (`manage.py db_worker`), and running it again
sends nothing twice."""

from django.core.management.base import BaseCommand

from lms.notifications.tasks import notifications_sweep


class Command(BaseCommand):
    help = "Remind of classes starting tomorrow and send due reminders (by the worker). Idempotent."

    def handle(self, *args, **options):
        result = notifications_sweep.enqueue()
        if result.is_finished:  # the immediate backend ran it here
            self.stdout.write(f"{result.return_value} member(s) reminded of tomorrow's classes.")
        else:
            self.stdout.write(f"Sweep queued for the worker ({result.id}).")

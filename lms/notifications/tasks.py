"""Background work of reminders: send the e-mail and SMS that are due (queue "default", next to the
account codes' SMS), and the sweep that finds today's events and deliveries a dead worker left
`sending` (every few minutes from cron)."""

from django_tasks import task

from lms.notifications import events, services


@task()
def notifications_send() -> int:
    return services.deliveries_send()


@task()
def notifications_sweep() -> int:
    """Remind of classes starting tomorrow, return deliveries stuck in a dead worker's hands, then send
    what is due."""
    reminded = events.classes_tomorrow_remind()
    services.deliveries_reclaim()
    services.deliveries_send()
    return reminded

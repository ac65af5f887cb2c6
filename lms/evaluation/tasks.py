"""Background work of the evaluation app (django-tasks; run at once until a worker backend is set up)."""

from django_tasks import task

from lms.evaluation import counting, services


@task()
def evaluation_sweep() -> int:
    """Open the evaluations of ended sessions, count the ballots of those that closed, and send due
    reminders. Returns how many were opened."""
    opened = services.evaluations_open_ended()
    counting.evaluations_count_closed()
    services.evaluation_reminders_send()
    return opened

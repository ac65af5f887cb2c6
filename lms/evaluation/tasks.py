"""Background work of the evaluation app (django-tasks; run at once until a worker backend is set up)."""

from django_tasks import task

from lms.evaluation import services


@task()
def evaluation_sweep() -> int:
    """Open the evaluations of ended sessions and send due reminders. Returns how many were opened."""
    opened = services.evaluations_open_ended()
    services.evaluation_reminders_send()
    return opened

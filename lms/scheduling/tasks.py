"""Background work of the scheduling app (django-tasks; run at once until a worker backend is set up)."""

from django_tasks import task

from lms.scheduling import services


@task()
def class_statuses_advance() -> int:
    """Store what the calendar says about every class (in progress on its days, finished after); for a
    daily schedule. Returns how many classes changed."""
    return services.class_statuses_advance()

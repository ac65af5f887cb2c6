"""Background work of lms.quizzes: submit an attempt when its time runs out (queued for its deadline
when the backend can wait, as the database worker can), and the sweep that catches any left over."""

from django_tasks import default_task_backend, task

from lms.quizzes import services


@task()
def attempt_expire(attempt_id: int) -> bool:
    from lms.quizzes.models import Attempt

    attempt = Attempt.objects.select_related("paper").filter(pk=attempt_id).first()
    if attempt is None:
        return False
    return not services.attempt_expire_if_due(attempt).is_open


@task()
def attempts_expire() -> int:
    return services.attempts_expire()


def attempt_expire_at_deadline(attempt) -> None:
    """Queue the attempt's own submission for its deadline (the sweep covers backends that cannot wait)."""
    if attempt.deadline is not None and default_task_backend.supports_defer:
        attempt_expire.using(run_after=attempt.deadline).enqueue(attempt.pk)

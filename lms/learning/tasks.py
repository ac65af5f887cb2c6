"""Background work of lms.learning."""

from django_tasks import task

from lms.learning import services


@task()
def makeup_reminders() -> int:
    return services.makeup_reminders_send()

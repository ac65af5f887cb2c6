"""Background work of the attendance app (django-tasks; run at once until a worker backend is set up)."""

from django_tasks import task

from lms.attendance import services


@task()
def attendance_sessions_close() -> int:
    """Close every session that has ended: approved leave becomes excused, everyone else enrolled
    without a record absent. For a schedule every few minutes; idempotent. Returns how many records
    were written."""
    return services.attendance_close_ended_sessions()

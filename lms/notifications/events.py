"""Events found by looking, not announced by a service: the daily “class starts tomorrow” reminder.
(Events that happen in a service — leave decided, evaluation open or closing — call `notify` there.)"""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Min
from django.utils import timezone

from lms.notifications.models import NotificationKind
from lms.notifications.services import notify_many
from lms.scheduling.models import PUBLIC_STATUSES, EnrollmentStatus, TrainingClass


def classes_tomorrow_remind(*, now: datetime | None = None) -> int:
    """Remind every enrolled member of each class whose first day is tomorrow (Beijing time), once per
    class and member: the sweep may run every few minutes. Returns how many were newly reminded."""
    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    classes = (
        TrainingClass.objects.filter(start_date=tomorrow, status__in=PUBLIC_STATUSES)
        .annotate(first_starts_at=Min("sessions__starts_at"))
        .order_by("pk")
    )
    User = get_user_model()
    reminded = 0
    for training_class in classes:
        users = User.objects.filter(
            member__enrollments__training_class=training_class,
            member__enrollments__status=EnrollmentStatus.ENROLLED,
            is_active=True,
        ).only("pk", "email", "is_active")
        starts_at = training_class.first_starts_at
        reminded += notify_many(
            users,
            NotificationKind.CLASS_TOMORROW,
            f"class:{training_class.pk}",
            context={
                "class": training_class.title,
                "starts_at": starts_at.isoformat() if starts_at else "",
                "place": training_class.venue,
            },
            url="/me/classes/",
        )
    return reminded

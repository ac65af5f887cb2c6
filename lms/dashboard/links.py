"""Links from a training class's admin page to the screens of its day: the venue screen (签到大屏)
of each of today's sessions and the live room of each live session that has not ended."""

from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.admin.widgets import Button

from lms.dashboard.selectors import county_today, day_start
from lms.scheduling.models import PUBLIC_STATUSES, Delivery, Session, TrainingClass


def class_day_buttons(training_class: TrainingClass, now: datetime | None = None) -> list[Button]:
    """Buttons for today's sessions of a published class (one query; none for drafts or other days)."""
    if training_class.pk is None or training_class.status not in PUBLIC_STATUSES:
        return []
    now = now or timezone.now()
    today = county_today(now)
    if not training_class.start_date <= today <= training_class.end_date:
        return []
    sessions = Session.objects.filter(
        training_class=training_class,
        starts_at__gte=day_start(today),
        starts_at__lt=day_start(today + timedelta(days=1)),
    ).order_by("starts_at", "id")
    buttons = []
    for index, session in enumerate(sessions):
        priority = 2 * index - 100  # before the class actions (5 and up)
        label = {
            "time": timezone.localtime(session.starts_at).strftime("%H:%M"),
            "session": session.display_title,
        }
        buttons.append(
            Button(
                _("Venue screen: %(time)s %(session)s") % label,
                url=reverse("attendance:venue", args=[session.pk]),
                icon_name="view",
                priority=priority,
                attrs={"target": "_blank", "rel": "noopener", "data-testid": "venue-link"},
            )
        )
        if session.delivery != Delivery.IN_PERSON and session.ends_at > now:
            buttons.append(
                Button(
                    _("Live classroom: %(time)s %(session)s") % label,
                    url=reverse("classroom:room", args=[session.pk]),
                    icon_name="globe",
                    priority=priority + 1,
                    attrs={"target": "_blank", "rel": "noopener", "data-testid": "room-link"},
                )
            )
    return buttons

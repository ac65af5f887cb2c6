"""Quiet hours: no e-mail or SMS at night. NOTIFICATIONS_QUIET_HOURS is "21:00-08:00" (Beijing time,
the default); a message due in them goes out when they end."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone


def quiet_hours() -> tuple[time, time]:
    start, end = (getattr(settings, "NOTIFICATIONS_QUIET_HOURS", "") or "21:00-08:00").split("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def is_quiet(moment: datetime) -> bool:
    start, end = quiet_hours()
    now = timezone.localtime(moment).time()
    if start == end:
        return False
    if start < end:  # quiet hours within one day, e.g. 12:00-14:00
        return start <= now < end
    return now >= start or now < end


def next_allowed(moment: datetime) -> datetime:
    """`moment` itself if it is outside quiet hours, else the end of the quiet hours it falls in."""
    if not is_quiet(moment):
        return moment
    start, end = quiet_hours()
    local = timezone.localtime(moment)
    day = local.date()
    if local.time() >= end and (start > end):  # before midnight: the quiet hours end tomorrow
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, end))

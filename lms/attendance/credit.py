"""What a sign-in or a mark is worth: the sign-in window, late or on time, and minutes credited.

Present credits the session's duration. Late and left early credit the minutes actually present
when known (a QR sign-in knows when the member arrived), else the duration minus the lateness
allowed before "late" (a roll call knows only that they were late). Excused and absent credit none.
"""

from datetime import datetime, timedelta

from django.conf import settings

from lms.attendance.models import ATTENDED_STATUSES, AttendanceStatus


def session_minutes(session) -> int:
    return max(int((session.ends_at - session.starts_at).total_seconds() // 60), 0)


def sign_in_opens(session) -> datetime:
    return session.starts_at - timedelta(minutes=settings.ATTENDANCE_OPENS_MINUTES)


def late_after(session) -> datetime:
    return session.starts_at + timedelta(minutes=settings.ATTENDANCE_LATE_AFTER_MINUTES)


def window_state(session, at: datetime) -> str:
    """ "early", "on_time", "late" or "closed" for a sign-in at `at`."""
    if at < sign_in_opens(session):
        return "early"
    if at >= session.ends_at:
        return "closed"
    return "late" if at > late_after(session) else "on_time"


def minutes_for(
    session, status: str, *, arrived_at: datetime | None = None, minutes: int | None = None
) -> int:
    """Minutes credited for a status; `minutes` (what staff entered) wins when given."""
    if status not in ATTENDED_STATUSES:
        return 0
    full = session_minutes(session)
    if minutes is not None:
        return max(0, min(int(minutes), full))
    if status == AttendanceStatus.PRESENT:
        return full
    if arrived_at is not None and arrived_at > session.starts_at:
        return max(0, int((session.ends_at - arrived_at).total_seconds() // 60))
    return max(0, full - settings.ATTENDANCE_LATE_AFTER_MINUTES)

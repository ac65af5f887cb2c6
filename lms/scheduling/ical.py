"""A user's timetable as an iCalendar feed (RFC 5545), for subscribing from a phone's calendar app.

Times are written in UTC, so no VTIMEZONE is needed; each session keeps one UID whatever host
served the feed, so calendar apps update events instead of duplicating them.
"""

from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from lms.scheduling.models import ClassStatus, Session

PRODID = "-//Party School Training Platform//Timetable//ZH"


def uid_host() -> str:
    """The site's own host name (from BASE_URL), not the request's, so UIDs never change."""
    return urlsplit(settings.WAGTAILADMIN_BASE_URL).hostname or "lms.invalid"


def session_uid(session: Session) -> str:
    return f"session-{session.pk}@{uid_host()}"


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def session_location(session: Session) -> str:
    parts = [part for part in (session.place, session.address) if part]
    return ", ".join(dict.fromkeys(parts))


def session_description(session: Session) -> str:
    training_class = session.training_class
    lines = [_("Training class: %(title)s") % {"title": training_class.title}]
    lines.append(_("School: %(school)s") % {"school": training_class.school.title})
    if session.teacher_id:
        lines.append(_("Teacher: %(name)s") % {"name": session.teacher.name})
    lines.append(_("Delivery: %(delivery)s") % {"delivery": session.get_delivery_display()})
    return "\n".join(lines)


def session_event(session: Session) -> Event:
    training_class = session.training_class
    event = Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", _utc(training_class.updated_at or timezone.now()))
    event.add("last-modified", _utc(training_class.updated_at or timezone.now()))
    event.add("dtstart", _utc(session.starts_at))
    event.add("dtend", _utc(session.ends_at))
    event.add("summary", f"{session.display_title} · {training_class.title}")
    location = session_location(session)
    if location:
        event.add("location", location)
    event.add("description", session_description(session))
    event.add("status", "TENTATIVE" if training_class.status == ClassStatus.DRAFT else "CONFIRMED")
    return event


def timetable_calendar(sessions, *, name: str) -> Calendar:
    """A VCALENDAR holding one VEVENT per session (sessions with their class, school page, teacher
    and teaching point loaded)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-published-ttl", "PT1H")
    for session in sessions:
        calendar.add_component(session_event(session))
    return calendar

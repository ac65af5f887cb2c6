"""The demo's live lecture: township1's class today has its elective, taught by teacher1, on air now, so
teacher1, member1 (on a phone) and the township's screen `terminal1` can meet in the live classroom
right after `make run`. Its two hours are built from the day and the hour, never from the minute: from
the top of the current hour, but never past midnight, so the one-day class still holds it and still
follows 5+1+N at any time of day (from 22:00 on it runs 22:00–24:00). It runs before attendance and
evaluations are seeded, so neither treats it as over."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from courses.models import TownshipSchoolPage
from lms.classroom.models import Terminal
from lms.demo import people
from lms.demo.content import LOGIN_NAMES
from lms.scheduling import services
from lms.scheduling.models import Delivery, Session, SessionKind

TERMINAL = "terminal1"
LENGTH = timedelta(hours=2)


def on_air(now: datetime) -> tuple[datetime, datetime]:
    """Two hours holding `now` inside its day: from the top of its hour, or 22:00–24:00 late at night."""
    local = timezone.localtime(now)
    tz = timezone.get_current_timezone()
    top_of_hour = datetime.combine(local.date(), time(local.hour), tzinfo=tz)
    midnight = datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=tz)
    starts = min(top_of_hour, midnight - LENGTH)
    return starts, starts + LENGTH


def live_ensure(township: TownshipSchoolPage, now, password: str) -> Session | None:
    user = people.login_ensure(TERMINAL, LOGIN_NAMES[TERMINAL], password)
    Terminal.objects.get_or_create(user=user, defaults={"name": LOGIN_NAMES[TERMINAL], "township": township})
    session = (
        Session.objects.filter(
            training_class__school=township,
            kind=SessionKind.ELECTIVE,
            teacher__phone=people.TEACHER1_PHONE,
            starts_at__date=timezone.localdate(now),
        )
        .select_related("training_class")
        .order_by("starts_at")
        .first()
    )
    if session is None or session.delivery == Delivery.LIVE:
        return session
    starts, ends = on_air(now)
    Session.objects.filter(pk=session.pk).update(delivery=Delivery.LIVE, starts_at=starts, ends_at=ends)
    # The stored 5+1+N flag says what the rules say of the class as it now is.
    services.class_compliance_refresh([session.training_class])
    session.refresh_from_db()
    return session

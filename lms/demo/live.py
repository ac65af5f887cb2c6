"""The demo's live lecture: township1's class today has its elective, taught by teacher1, on air now
(from ten minutes ago for two hours), so teacher1, member1 (on a phone) and the township's screen
`terminal1` can meet in the live classroom right after `make run`. It runs before attendance and
evaluations are seeded, so neither treats it as over."""

from datetime import timedelta

from django.utils import timezone

from courses.models import TownshipSchoolPage
from lms.classroom.models import Terminal
from lms.demo import people
from lms.demo.content import LOGIN_NAMES
from lms.scheduling.models import Delivery, Session, SessionKind

TERMINAL = "terminal1"
LENGTH = timedelta(hours=2)


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
        .order_by("starts_at")
        .first()
    )
    if session is None or session.delivery == Delivery.LIVE:
        return session
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = max(day_start, now - timedelta(minutes=10)).replace(second=0, microsecond=0)
    Session.objects.filter(pk=session.pk).update(
        delivery=Delivery.LIVE, starts_at=starts, ends_at=starts + LENGTH
    )
    session.refresh_from_db()
    return session

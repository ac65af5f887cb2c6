"""The fault tests' work inside Django, run as a child process on the private database with the
server's production settings (tests/faults/services.py `django_command`); prints one JSON line.

    python -m tests.faults.build migrate          # migrate, collect static files
    python -m tests.faults.build static           # collect static files (the database was copied)
    python -m tests.faults.build class N          # a live class under way with N members enrolled
    python -m tests.faults.build signins SESSION  # the session's records, per member
    python -m tests.faults.build live SESSION     # presence seconds, credited minutes, per member
"""

import json
import sys
from datetime import timedelta


def migrate(database: bool = True) -> dict:
    from django.core.management import call_command

    if database:
        call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    return {}


def live_class(members: int) -> dict:
    """A township's class whose lecture, taught live, started five minutes ago; `members` enrolled,
    each with an API token and a logged-in browser session (made in bulk, as bench/checkin_burst.py
    does), and the teacher logged in too."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session as LoginSession
    from django.utils import timezone
    from django.utils.crypto import get_random_string
    from wagtail.models import APIToken

    from lms.people.models import Member
    from lms.people.roles import Role
    from lms.people.services import roles_ensure
    from lms.scheduling.models import Delivery, Enrollment, Session, SessionKind
    from tests import factories

    city = factories.city_school()
    town = factories.township_school(city, "故障镇党校")
    branch = factories.BranchFactory(township=town, name="故障村党支部")
    teacher_user = factories.UserFactory(username="fault-teacher", first_name="张老师")
    training_class = factories.training_class(
        town,
        timezone.localdate(),
        teacher=factories.TeacherFactory(user=teacher_user),
        point=factories.teaching_point(town),
        publish=True,
        capacity=members,
    )
    lecture = training_class.sessions.get(kind=SessionKind.LEADER_LECTURE)
    now = timezone.now()
    Session.objects.filter(pk=lecture.pk).update(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=55), delivery=Delivery.LIVE
    )
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"1890{i:07d}", first_name=f"党员{i:05d}", password="!") for i in range(members)]
    )
    rows = Member.objects.bulk_create(
        [Member(user=u, name=u.first_name, phone=u.username, branch=branch) for u in users]
    )
    group = roles_ensure()[Role.MEMBER]
    User.groups.through.objects.bulk_create([User.groups.through(user=u, group=group) for u in users])
    Enrollment.objects.bulk_create([Enrollment(training_class=training_class, member=m) for m in rows])

    def login(user) -> LoginSession:
        data = {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": "lms.people.backends.ProfileBackend",
            "_auth_user_hash": user.get_session_auth_hash(),
        }
        return LoginSession(
            session_key=get_random_string(32),
            session_data=SessionStore().encode(data),
            expire_date=now + timedelta(days=1),
        )

    logins = [login(user) for user in [teacher_user, *users]]
    LoginSession.objects.bulk_create(logins)
    people = [
        {
            "member": member.pk,
            "user": user.pk,
            "token": APIToken.create_token(user=user, name="faults")[1],
            "cookie": f"sessionid={session.session_key}",
        }
        for user, member, session in zip(users, rows, logins[1:], strict=True)
    ]
    return {"session": lecture.pk, "teacher": f"sessionid={logins[0].session_key}", "people": people}


def signins(session_id: int) -> dict:
    """Per member: their records of the session (ids) and each record's history rows."""
    from django.db.models import Count

    from lms.attendance.models import AttendanceRecord

    records: dict[int, list] = {}
    for row in AttendanceRecord.objects.filter(session_id=session_id).annotate(
        changes_count=Count("changes")
    ):
        records.setdefault(row.member_id, []).append(
            {"id": row.pk, "status": row.status, "source": row.source, "changes": row.changes_count}
        )
    return {"records": records}


def live(session_id: int) -> dict:
    """Per user in the room: the seconds their presence counts (the credit rule's own reckoning,
    before rounding to minutes), their intervals, and the minutes their record credits."""
    from django.utils import timezone

    from lms.attendance.models import AttendanceRecord
    from lms.classroom import services
    from lms.classroom.minutes import present_seconds
    from lms.classroom.models import LiveRoom, PresenceInterval, PresenceState

    room = LiveRoom.objects.select_related("session").get(session_id=session_id)
    session = room.session
    until = room.ended_at or timezone.now()
    spans: dict[int, dict[str, list]] = {}
    for interval in PresenceInterval.objects.filter(room=room).order_by("started_at"):
        end = services.interval_end(interval, until)
        kind = "away" if interval.state == PresenceState.AWAY else "present"
        spans.setdefault(interval.user_id, {"present": [], "away": []})[kind].append(
            (interval.started_at, end)
        )
    window = (session.starts_at, min(session.ends_at, until))
    users = {
        user_id: {
            "seconds": present_seconds(parts["present"], parts["away"], window),
            "intervals": len(parts["present"]) + len(parts["away"]),
            "spans": [(a.timestamp(), b.timestamp()) for a, b in parts["present"]],
        }
        for user_id, parts in spans.items()
    }
    credited = {
        user_id: {"minutes": minutes, "count": 0}
        for user_id, minutes in AttendanceRecord.objects.filter(session=session).values_list(
            "member__user_id", "minutes"
        )
    }
    for user_id in AttendanceRecord.objects.filter(session=session).values_list("member__user_id", flat=True):
        credited[user_id]["count"] += 1
    return {"ended": room.ended_at is not None, "users": users, "credited": credited}


def main(argv: list[str]) -> None:
    import django

    django.setup()
    command, *args = argv
    result = {
        "migrate": lambda: migrate(),
        "static": lambda: migrate(database=False),
        "class": lambda: live_class(int(args[0])),
        "signins": lambda: signins(int(args[0])),
        "live": lambda: live(int(args[0])),
    }[command]()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])

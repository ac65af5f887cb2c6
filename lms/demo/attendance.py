"""The demo county's attendance: for every session of a finished or in-progress class that has
ended, each enrolled member gets a record — mostly present (signed in with the venue's code), some
late with fewer minutes, some excused, some absent — so that some members meet the yearly
requirement and some do not.

Tens of thousands of records are written in bulk (plain INSERTs: the ORM's bulk_create would take
seconds), with their first history entry, as the services would write them
(`lms.attendance.services._write`): only the (session, member) pairs without a record are added, so
the unique constraint holds and a second run adds nothing. Each member has a
steady habit (most keen, some patchy, a few away all year) and now and then misses a whole class;
member1 is keen.
"""

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection

from lms.attendance import credit
from lms.attendance.models import AttendanceChange, AttendanceRecord, AttendanceSource, AttendanceStatus
from lms.demo import people
from lms.people.models import Member
from lms.scheduling.models import PUBLIC_STATUSES, Enrollment, EnrollmentStatus, Session

BATCH = 2000
KEEN_PHONES = frozenset({people.MEMBER_PHONE.format(1)})  # member1
PATCHY_SHARE = 0.22  # members who often miss sessions
AWAY_SHARE = 0.08  # members who miss every class they were enrolled in (working away, ill)
MISSED_CLASS_SHARE = 0.08  # a member misses a whole class (excused or absent) this often
SHORTEST_LATE = 30  # minutes: in shorter sessions (the anthem, the oath) nobody is recorded late
# (status, weight) per habit: present, late, excused, absent.
HABITS = {
    "keen": (
        (AttendanceStatus.PRESENT, 88),
        (AttendanceStatus.LATE, 7),
        (AttendanceStatus.EXCUSED, 3),
        (AttendanceStatus.ABSENT, 2),
    ),
    "patchy": (
        (AttendanceStatus.PRESENT, 45),
        (AttendanceStatus.LATE, 15),
        (AttendanceStatus.EXCUSED, 15),
        (AttendanceStatus.ABSENT, 25),
    ),
}


@dataclass
class AttendanceResult:
    created: int = 0


def _choose(rng: random.Random, weighted) -> str:
    statuses, weights = zip(*weighted, strict=True)
    return rng.choices(statuses, weights=weights)[0]


def _row(session: Session, member_id: int, status: str, rng: random.Random, adapt) -> tuple:
    """The record's column values, as `_write` would store them (minutes from `credit`)."""
    full = credit.session_minutes(session)
    checked_in_at, minutes = None, 0
    source = AttendanceSource.AUTO
    if status == AttendanceStatus.LATE and full < SHORTEST_LATE:
        status = AttendanceStatus.PRESENT
    if status == AttendanceStatus.PRESENT:
        source = AttendanceSource.QR if rng.random() < 0.85 else AttendanceSource.ROLL_CALL
        minutes = full
        if source == AttendanceSource.QR:
            checked_in_at = session.starts_at - timedelta(minutes=rng.randint(0, 20))
    elif status == AttendanceStatus.LATE:
        source = AttendanceSource.QR
        late = rng.randint(11, min(45, full // 2))
        checked_in_at = session.starts_at + timedelta(minutes=late)
        minutes = credit.minutes_for(session, status, arrived_at=checked_in_at)
    elif status == AttendanceStatus.EXCUSED:
        source = AttendanceSource.LEAVE
    marked_at = checked_in_at or session.ends_at
    return (
        session.pk,
        member_id,
        str(status),
        str(source),
        minutes,
        adapt(checked_in_at),
        adapt(marked_at),
    )


def _insert_records(rows: list[tuple]) -> None:
    """One INSERT per batch, without building a model instance per row (the ORM's bulk_create spends
    most of its time preparing values: seconds for the demo's tens of thousands of records)."""
    meta = AttendanceRecord._meta
    columns = [
        meta.get_field(name).column
        for name in ("session", "member", "status", "source", "minutes", "checked_in_at", "marked_at")
    ]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from _meta, values as parameters)
        quote(meta.db_table), ", ".join(map(quote, columns)), ", ".join(["%s"] * len(columns))
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def _first_history_entries() -> None:
    """The first change of every record that has none, as `_write` logs a created record."""
    record, change = AttendanceRecord._meta, AttendanceChange._meta
    quote = connection.ops.quote_name

    def col(meta, name):
        return quote(meta.get_field(name).column)

    targets = (
        "record",
        "changed_at",
        "old_status",
        "new_status",
        "new_minutes",
        "old_source",
        "new_source",
        "note",
    )
    # Table and column names come from _meta; there are no values.
    into = ", ".join(col(change, name) for name in targets)
    sql = (
        f"INSERT INTO {quote(change.db_table)} ({into}) "  # noqa: S608
        f"SELECT r.{col(record, 'id')}, r.{col(record, 'marked_at')}, '', r.{col(record, 'status')}, "
        f"r.{col(record, 'minutes')}, '', r.{col(record, 'source')}, '' "
        f"FROM {quote(record.db_table)} r WHERE NOT EXISTS "
        f"(SELECT 1 FROM {quote(change.db_table)} c WHERE c.{col(change, 'record')} = r.{col(record, 'id')})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)


def attendance_ensure(rng: random.Random, now: datetime) -> AttendanceResult:
    """Records for the ended sessions of public classes that have none yet for an enrolled member."""
    result = AttendanceResult()
    sessions = list(
        Session.objects.filter(ends_at__lte=now, training_class__status__in=PUBLIC_STATUSES).order_by(
            "starts_at", "pk"
        )
    )
    if not sessions:
        return result
    class_ids = {session.training_class_id for session in sessions}
    enrolled = defaultdict(list)
    for class_id, member_id in (
        Enrollment.objects.filter(training_class_id__in=class_ids, status=EnrollmentStatus.ENROLLED)
        .order_by("member_id")
        .values_list("training_class_id", "member_id")
    ):
        enrolled[class_id].append(member_id)
    existing = set(
        AttendanceRecord.objects.filter(session__in=sessions).values_list("session_id", "member_id")
    )
    keen = set(Member.objects.filter(phone__in=KEEN_PHONES).values_list("pk", flat=True))
    habits, missed, away = {}, {}, set()
    for member_id in sorted({m for members in enrolled.values() for m in members}):
        draw = 1.0 if member_id in keen else rng.random()
        habits[member_id] = HABITS["patchy" if draw < PATCHY_SHARE else "keen"]
        if PATCHY_SHARE <= draw < PATCHY_SHARE + AWAY_SHARE:
            away.add(member_id)
    for class_id in sorted(enrolled):
        for member_id in enrolled[class_id]:
            if member_id in away or (member_id not in keen and rng.random() < MISSED_CLASS_SHARE):
                missed[class_id, member_id] = rng.choice((AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT))
    adapt = connection.ops.adapt_datetimefield_value
    rows = []
    for session in sessions:
        for member_id in enrolled.get(session.training_class_id, ()):
            if (session.pk, member_id) in existing:
                continue
            status = missed.get((session.training_class_id, member_id)) or _choose(rng, habits[member_id])
            rows.append(_row(session, member_id, status, rng, adapt))
    if rows:
        _insert_records(rows)
        _first_history_entries()
    result.created = len(rows)
    return result

"""Writes about attendance. QR sign-in, roll call, leave, the end-of-session sweep, the API and the
demo all come through `_record_write`, the one writer, which keeps every change's history.

One record per member and session is a database constraint; when two sign-ins of the same member
race, the loser reads the winner's record and returns it, so scanning twice (or fifty times at once)
is harmless.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache, partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.attendance import credit, qr
from lms.attendance.leave import leave_plan
from lms.attendance.models import (
    ATTENDED_STATUSES as ATTENDED,
)
from lms.attendance.models import (
    AttendanceChange,
    AttendanceRecord,
    AttendanceSource,
    AttendanceStatus,
    LeaveRequest,
    LeaveSession,
    LeaveStatus,
    RequirementRule,
    RequirementScope,
)
from lms.compiled import CompiledQuery, Slot
from lms.notifications.models import NotificationKind
from lms.notifications.services import notify
from lms.people.models import Member, MemberCategory
from lms.people.selectors import is_org_dept, member_profile, members_for_user
from lms.scheduling.models import PUBLIC_STATUSES, Enrollment, EnrollmentStatus, Session, TrainingClass
from lms.scheduling.selectors import can_manage_class
from lms.scheduling.services import enrolment_add


class CheckInRefused(ValidationError):
    """A sign-in that cannot be recorded; `reason` is a stable code for the API and the page."""

    def __init__(self, reason: str, message: str):
        super().__init__(message, code=reason)
        self.reason = reason


@dataclass
class CheckIn:
    record: AttendanceRecord
    created: bool


def _insert_with_first_change(record: AttendanceRecord, change: AttendanceChange) -> bool:
    """Insert a new record with its first history row; False (nothing written) when the member has
    a record for the session already. On PostgreSQL one statement does both (a `WITH … INSERT … ON
    CONFLICT DO NOTHING`): no transaction to open and commit, no error raised and rolled back for a
    repeat scan. Elsewhere both inserts run in a transaction (a savepoint inside a caller's)."""
    connection = connections[router.db_for_write(AttendanceRecord)]
    if connection.vendor != "postgresql":
        try:
            with transaction.atomic():
                record.save(force_insert=True)
                change.record = record
                change.save(force_insert=True)
                return True
        except IntegrityError:
            return False
    record_fields, change_fields = _FIRST_WRITE_FIELDS
    params = [f.get_db_prep_save(f.pre_save(record, True), connection) for f in record_fields]
    params += [f.get_db_prep_save(f.pre_save(change, True), connection) for f in change_fields]
    with connection.cursor() as cursor:
        cursor.execute(_first_write_sql_for(connection.alias), params)  # built once per database
        row = cursor.fetchone()
    if row is None:
        return False
    record.pk, change.pk = row
    record._state.adding = change._state.adding = False
    change.record = record
    return True


def _columns(model, exclude=()) -> list:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in exclude]


# The columns of both inserts, from the models (a new field is written without touching the SQL).
_FIRST_WRITE_FIELDS = (_columns(AttendanceRecord), _columns(AttendanceChange, exclude=("record",)))


@cache
def _first_write_sql_for(alias: str) -> str:
    return _first_write_sql(connections[alias])


def _first_write_sql(connection) -> str:
    record_fields, change_fields = _FIRST_WRITE_FIELDS
    quote = connection.ops.quote_name

    def names(fields):
        return ", ".join(quote(f.column) for f in fields)

    def values(fields):  # typed, so PostgreSQL never has to guess a parameter's type
        return ", ".join(f"%s::{f.cast_db_type(connection)}" for f in fields)

    records, changes = AttendanceRecord._meta, AttendanceChange._meta
    record_fk = changes.get_field("record").column
    # Table and column names come from the models' metadata, quoted; every value is a parameter.
    sql = (
        f"WITH new_record AS (INSERT INTO {quote(records.db_table)} ({names(record_fields)}) "  # noqa: S608
        f"VALUES ({values(record_fields)}) ON CONFLICT DO NOTHING RETURNING {quote(records.pk.column)}) "
        f"INSERT INTO {quote(changes.db_table)} ({quote(record_fk)}, {names(change_fields)}) "
        f"SELECT new_record.{quote(records.pk.column)}, {values(change_fields)} FROM new_record "
        f"RETURNING {quote(record_fk)}, {quote(changes.pk.column)}"
    )
    return sql


def _write(
    *,
    session: Session,
    member: Member | int,
    status: str,
    source: str,
    minutes: int,
    actor,
    now: datetime,
    checked_in_at: datetime | None = None,
    note: str = "",
    keep_if: tuple[str, ...] = (),
) -> tuple[AttendanceRecord, bool]:
    """Create or change the member's record for the session, logging the change. A record whose
    status is in `keep_if` is returned unchanged (e.g. a second scan of a member already present).
    `member` may be the member's id when that is all the caller has (the QR sign-in)."""
    member_id = member if isinstance(member, int) else member.pk
    # Insert first (the common case: the first sign-in), with its history row; the unique
    # constraint tells us when a record exists already, which we then lock and change.
    record = AttendanceRecord(
        session=session,
        member_id=member_id,
        status=status,
        source=source,
        minutes=minutes,
        checked_in_at=checked_in_at,
        marked_by=actor,
        marked_at=now,
    )
    change = AttendanceChange(
        changed_by=actor, changed_at=now, new_status=status, new_minutes=minutes, new_source=source, note=note
    )
    if _insert_with_first_change(record, change):
        return record, True

    def loaded(record: AttendanceRecord) -> AttendanceRecord:
        record.session = session  # already loaded: no query per answer
        if not isinstance(member, int):
            record.member = member
        return record

    if keep_if:
        # A repeat scan: a record to keep needs no lock and no transaction, only a look.
        existing = AttendanceRecord.objects.filter(session=session, member_id=member_id).first()
        if existing is not None and existing.status in keep_if:
            return loaded(existing), False
    with transaction.atomic():
        record = loaded(
            AttendanceRecord.objects.select_for_update().get(session=session, member_id=member_id)
        )
        if record.status in keep_if:
            return record, False
        if (record.status, record.minutes, record.source) == (status, minutes, source):
            return record, False
        AttendanceChange.objects.create(
            record=record,
            changed_by=actor,
            changed_at=now,
            old_status=record.status,
            new_status=status,
            old_minutes=record.minutes,
            new_minutes=minutes,
            old_source=record.source,
            new_source=source,
            note=note,
        )
        record.status, record.minutes, record.source = status, minutes, source
        record.marked_by, record.marked_at = actor, now
        if checked_in_at is not None:
            record.checked_in_at = checked_in_at
        record.save(update_fields=["status", "minutes", "source", "marked_by", "marked_at", "checked_in_at"])
        return record, False


# --- QR sign-in ----------------------------------------------------------------------------------


def _refuse(reason: str, message: str):
    raise CheckInRefused(reason, message)


def _code_session_id(code: str, now: datetime | None) -> int:
    try:
        return qr.read_code(code, at=now.timestamp() if now else None)
    except qr.CodeRefused as refused:
        if refused.reason == "expired":
            _refuse("expired", _("This sign-in code has expired. Scan the code on the screen again."))
        _refuse("forged", _("This is not a valid sign-in code. Scan the code on the screen at the venue."))


def _session_for_member_query():
    """The session by id with its class and, for a user: `member_id` (None when the user is not a
    member) and `enrolled`, in one query compiled once per process (lms/compiled.py): building its
    SQL through the ORM cost about as much CPU as the rest of a sign-in."""

    def build(s):
        members = Member.objects.filter(user_id=s.user)
        return (
            Session.objects.select_related("training_class")
            .filter(pk=s.session)
            .annotate(
                member_id=Subquery(members.values("pk")[:1]),
                enrolled=Exists(
                    Enrollment.objects.filter(
                        member__in=members,
                        training_class_id=OuterRef("training_class_id"),
                        status=EnrollmentStatus.ENROLLED,
                    )
                ),
            )
            .order_by()[:1]
        )

    return CompiledQuery(build, Slot("session", -774_000_021), Slot("user", -774_000_022))


_SESSION_FOR_MEMBER = _session_for_member_query()


def check_in_session(code: str, now: datetime | None = None, user=None) -> Session:
    """The session a code is for (or CheckInRefused: forged, expired, unknown), with its class; given
    a `user`, in the same query: `member_id` (None when the user is not a member) and `enrolled`."""
    session_id = _code_session_id(code, now)
    if user is not None:
        session = _SESSION_FOR_MEMBER.first(session=session_id, user=user.pk)
    else:
        session = Session.objects.select_related("training_class").filter(pk=session_id).first()
    if session is None:
        _refuse("forged", _("This is not a valid sign-in code. Scan the code on the screen at the venue."))
    return session


def attendance_check_in(*, user, code: str, now: datetime | None = None) -> CheckIn:
    """Sign the member in with a code from the venue's screen: present, or late after the grace
    period. Refused with a reason: forged or expired code, not a member, not enrolled, too early,
    closed, class cancelled. A first scan costs one read (session, class, member and enrolment in one
    query) and one transaction of two inserts; a repeat scan one read more and no write."""
    now = now or timezone.now()
    session = check_in_session(code, now, user=user if user is not None and user.is_authenticated else None)
    member_id = getattr(session, "member_id", None)
    if member_id is None:
        _refuse("not_member", _("Only party members sign in to classes."))
    if session.training_class.status not in PUBLIC_STATUSES:
        _refuse("cancelled", _("This class is not taking place."))
    if not session.enrolled:
        _refuse(
            "not_enrolled",
            _("You are not enrolled in “%(class)s”. Please ask the staff at the venue to add you.")
            % {"class": session.training_class.title},
        )
    state = credit.window_state(session, now)
    if state == "early":
        opens = timezone.localtime(credit.sign_in_opens(session))
        _refuse("too_early", _("Sign-in opens at %(time)s.") % {"time": opens.strftime("%H:%M")})
    if state == "closed":
        _refuse("closed", _("This session has ended; sign-in is closed. Please ask the staff."))
    status = AttendanceStatus.LATE if state == "late" else AttendanceStatus.PRESENT
    record, created = _write(
        session=session,
        member=member_id,  # the id is all the record needs; its member loads if ever asked for
        status=status,
        source=AttendanceSource.QR,
        minutes=credit.minutes_for(session, status, arrived_at=now),
        actor=user,
        now=now,
        checked_in_at=now,
        keep_if=(AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY),
    )
    return CheckIn(record, created)


# --- Roll call and the end of a session ----------------------------------------------------


def _check_staff(actor, session: Session) -> None:
    if not can_manage_class(actor, session.training_class):
        raise PermissionDenied(_("You may not take attendance for this class."))


@transaction.atomic
def attendance_mark(
    *,
    actor,
    session: Session,
    member: Member,
    status: str,
    minutes: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> AttendanceRecord:
    """Staff set one member's status (roll call). Enrolled members only."""
    _check_staff(actor, session)
    if status not in AttendanceStatus.values:
        raise ValidationError(_("Unknown attendance status “%(status)s”.") % {"status": status})
    if not Enrollment.objects.filter(
        training_class_id=session.training_class_id, member=member, status=EnrollmentStatus.ENROLLED
    ).exists():
        raise ValidationError(_("%(name)s is not enrolled in this class.") % {"name": member.name})
    record, _created = _write(
        session=session,
        member=member,
        status=status,
        source=AttendanceSource.ROLL_CALL,
        minutes=credit.minutes_for(session, status, minutes=minutes),
        actor=actor,
        now=now or timezone.now(),
        note=note,
    )
    return record


@transaction.atomic
def attendance_walk_in(*, actor, session: Session, phone: str) -> Member:
    """At the door: staff enrol a member who is not on the list (found by phone among the members
    they manage) and mark them present — both, or neither (e.g. when the class is full)."""
    phone = "".join(ch for ch in (phone or "") if ch.isdigit() or ch == "+")
    member = members_for_user(actor).filter(phone=phone).first() if phone else None
    if member is None:
        raise ValidationError(_("No member you manage has the phone number “%(phone)s”.") % {"phone": phone})
    report = enrolment_add(actor=actor, training_class=session.training_class, members=[member])
    if report.refused:
        raise ValidationError(report.refused[0][1])
    if report.waitlisted:
        raise ValidationError(
            _("The class is full; %(name)s went onto the waiting list.") % {"name": member.name}
        )
    attendance_mark(actor=actor, session=session, member=member, status=AttendanceStatus.PRESENT)
    return member


@transaction.atomic
def attendance_roll_call(
    *, actor, session: Session, marks: dict[int, str], now: datetime | None = None
) -> list[AttendanceRecord]:
    """Mark many members at once ({member id: status}); all or nothing. Only the class's own members
    and those the actor manages are looked up: any other id is unknown, so the answer never names
    another township's member."""
    _check_staff(actor, session)
    on_roster = Enrollment.objects.filter(training_class_id=session.training_class_id).values("member_id")
    managed = members_for_user(actor).values("pk")
    known = Member.objects.filter(Q(pk__in=on_roster) | Q(pk__in=managed), pk__in=list(marks))
    members = {m.pk: m for m in known}
    missing = set(marks) - set(members)
    if missing:
        raise ValidationError(
            _("Unknown member ids: %(ids)s.") % {"ids": ", ".join(map(str, sorted(missing)))}
        )
    return [
        attendance_mark(actor=actor, session=session, member=members[pk], status=status, now=now)
        for pk, status in marks.items()
    ]


@transaction.atomic
def attendance_close_session(*, session: Session, now: datetime | None = None) -> int:
    """After the session: approved leave becomes excused, every other enrolled member without a
    record becomes absent. Idempotent. Returns how many records were written."""
    now = now or timezone.now()
    if session.ends_at > now or session.training_class.status not in PUBLIC_STATUSES:
        return 0
    enrolled = Member.objects.filter(
        enrollments__training_class_id=session.training_class_id,
        enrollments__status=EnrollmentStatus.ENROLLED,
    ).exclude(attendance__session=session)
    excused = set(
        LeaveSession.objects.filter(session=session, status=LeaveStatus.APPROVED).values_list(
            "member_id", flat=True
        )
    )
    written = 0
    for member in enrolled:
        status, source = (
            (AttendanceStatus.EXCUSED, AttendanceSource.LEAVE)
            if member.pk in excused
            else (AttendanceStatus.ABSENT, AttendanceSource.AUTO)
        )
        _record, created = _write(
            session=session, member=member, status=status, source=source, minutes=0, actor=None, now=now
        )
        written += created
    return written


def attendance_close_ended_sessions(*, now: datetime | None = None, since: datetime | None = None) -> int:
    """The background sweep: close every session that has ended (since `since`, default a week)."""
    now = now or timezone.now()
    since = since or now - timedelta(days=7)
    sessions = Session.objects.filter(
        ends_at__lte=now, ends_at__gt=since, training_class__status__in=PUBLIC_STATUSES
    ).select_related("training_class")
    return sum(attendance_close_session(session=session, now=now) for session in sessions)


def attendance_credit_live(
    *, session: Session, member: Member, minutes: int, now: datetime | None = None
) -> AttendanceRecord | None:
    """Credit the minutes a member was present in the live classroom: *present* from
    `CLASSROOM_PRESENT_SHARE` % of the session on, else *left early* with those minutes. A record that
    already credits as many minutes or more (signed in at the venue of a hybrid session, or marked by
    staff) is kept. No minutes, no record (the end-of-session sweep marks the absent)."""
    now = now or timezone.now()
    full = credit.session_minutes(session)
    minutes = max(0, min(int(minutes), full))
    if minutes == 0:
        return None
    existing = AttendanceRecord.objects.filter(session=session, member=member).first()
    if existing and existing.status in ATTENDED and existing.minutes >= minutes:
        return existing
    status = (
        AttendanceStatus.PRESENT
        if minutes * 100 >= settings.CLASSROOM_PRESENT_SHARE * full
        else AttendanceStatus.LEFT_EARLY
    )
    record, _created = _write(
        session=session,
        member=member,
        status=status,
        source=AttendanceSource.LIVE,
        minutes=minutes,
        actor=None,
        now=now,
    )
    return record


def attendance_credit_replay(
    *, session: Session, member: Member, minutes: int, now: datetime | None = None
) -> AttendanceRecord | None:
    """Make-up (补学) from the session's recording: the member watched enough of it, so a record that
    says absent or excused (or none, for a migrant member) becomes *present (replay make-up)* with the
    minutes watched (at most the session's), in its history. A record that credits already is kept."""
    now = now or timezone.now()
    minutes = max(0, min(int(minutes), credit.session_minutes(session)))
    existing = AttendanceRecord.objects.filter(session=session, member=member).first()
    if existing and existing.status in ATTENDED:
        return existing
    record, _created = _write(
        session=session,
        member=member,
        status=AttendanceStatus.PRESENT,
        source=AttendanceSource.REPLAY,
        minutes=minutes,
        actor=None,
        now=now,
        note=_("Made up from the recording"),
        keep_if=ATTENDED,
    )
    return record


# --- Leave ------------------------------------------------------------------------------------------


@dataclass
class LeaveDecision:
    leave: LeaveRequest
    excused: list[Session]  # sessions now excused (or already excused)
    kept: list[AttendanceRecord]  # records left as they were: the member attended


def leave_request_submit(
    *,
    user,
    reason: str,
    session: Session | None = None,
    training_class: TrainingClass | None = None,
    day: date | None = None,
    now: datetime | None = None,
) -> LeaveRequest:
    """A member asks for leave from one `session`, from one `day` of `training_class`, or from the
    whole class, before each session starts: sessions that have started are left out (the plan says
    which). A request overlapping the member's pending or approved one is refused; sending the same
    pending request again replaces its reason."""
    now = now or timezone.now()
    reason = (reason or "").strip()[:500]
    member = member_profile(user)
    if member is None:
        raise PermissionDenied(_("Only party members can ask for leave."))
    if not reason:
        raise ValidationError({"reason": _("Give a reason for the leave.")})
    training_class = session.training_class if session is not None else training_class
    plan = leave_plan(member=member, training_class=training_class, session=session, day=day, now=now)
    if plan.problems:
        raise ValidationError(plan.problems)
    try:
        with transaction.atomic():
            if plan.same is not None:
                request = LeaveRequest.objects.select_for_update().get(pk=plan.same.pk)
                if request.status != LeaveStatus.PENDING:
                    raise ValidationError(_("Your request has already been decided."))
                request.reason = reason
                request.save(update_fields=["reason"])
                return request
            request = LeaveRequest(
                training_class=training_class, member=member, scope=plan.scope, day=day, reason=reason
            )
            request.full_clean(exclude=["training_class", "member"])
            request.save()
            LeaveSession.objects.bulk_create(
                LeaveSession(leave=request, session=s, member=member, status=LeaveStatus.PENDING)
                for s in plan.sessions
            )
    except IntegrityError:
        # Another request covering one of these sessions was saved meanwhile (a double tap, two
        # devices): the partial unique constraint refused this one.
        raise ValidationError(
            _("You already asked for leave from some of these sessions; see “my training”.")
        ) from None
    return request


def leave_request_decide(
    *, actor, leave: LeaveRequest, approve: bool, now: datetime | None = None
) -> LeaveDecision:
    """Staff approve or reject a request once, for every session it covers. Approval excuses the
    member from each one through `_write`, except where they attended after all (kept, and said)."""
    now = now or timezone.now()
    with transaction.atomic():
        leave = (
            LeaveRequest.objects.select_for_update(of=("self",))
            .select_related("training_class", "member")
            .get(pk=leave.pk)
        )
        if not can_manage_class(actor, leave.training_class):
            raise PermissionDenied(_("You may not decide on leave for this class."))
        if leave.status != LeaveStatus.PENDING:
            decided = {"status": leave.get_status_display()}
            raise ValidationError(_("This request has already been decided (%(status)s).") % decided)
        leave.status = LeaveStatus.APPROVED if approve else LeaveStatus.REJECTED
        leave.decided_by, leave.decided_at = actor, now
        leave.save(update_fields=["status", "decided_by", "decided_at"])
        leave.covered.update(status=leave.status)
        transaction.on_commit(partial(_notify_leave_decided, leave), robust=True)
        decision = LeaveDecision(leave=leave, excused=[], kept=[])
        if not approve:
            return decision
        sessions = Session.objects.filter(leave_coverage__leave=leave).select_related("training_class")
        for session in sessions.order_by("starts_at", "id"):
            record, _created = _write(
                session=session,
                member=leave.member,
                status=AttendanceStatus.EXCUSED,
                source=AttendanceSource.LEAVE,
                minutes=0,
                actor=actor,
                now=now,
                note=leave.reason[:300],
                keep_if=ATTENDED,
            )
            if record.status == AttendanceStatus.EXCUSED:
                decision.excused.append(session)
            else:
                decision.kept.append(record)
        return decision


def _notify_leave_decided(leave: LeaveRequest) -> None:
    """Tell the member (in the app, and by SMS unless they chose otherwise) once the decision is saved."""
    notify(
        leave.member.user,
        NotificationKind.LEAVE_DECIDED,
        f"leave:{leave.pk}",
        context={"class": leave.training_class.title, "approved": leave.status == LeaveStatus.APPROVED},
        url="/me/classes/",
    )


# --- Requirement rules ---------------------------------------------------------------------------

# Days a year per member category (DOMAIN.md: 1 day for members, 2 for village "two committees"
# cadres — branch secretaries sit on those committees), at the member's township school.
DEFAULT_DAYS = {
    MemberCategory.ORDINARY: 1,
    MemberCategory.VILLAGE_CADRE: 2,
    MemberCategory.BRANCH_SECRETARY: 2,
}


def default_rule(year: int, category: str) -> RequirementRule:
    from django.conf import settings

    return RequirementRule(
        year=year,
        category=category,
        hours=Decimal(DEFAULT_DAYS.get(category, 1) * settings.ATTENDANCE_HOURS_PER_DAY),
        scope=RequirementScope.TOWNSHIP,
    )


@transaction.atomic
def requirement_rule_set(*, actor, year: int, category: str, hours, scope: str) -> RequirementRule:
    """The organization department sets a year's requirement for a member category."""
    if not is_org_dept(actor):
        raise PermissionDenied(_("Only the organization department sets the yearly requirements."))
    rule = RequirementRule.objects.filter(year=year, category=category).first() or RequirementRule(
        year=year, category=category
    )
    rule.hours, rule.scope, rule.updated_by = hours, scope, actor
    rule.full_clean()
    rule.save()
    return rule

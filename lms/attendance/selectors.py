"""Reads about attendance: a session's sheet, a member's yearly hours against their requirement,
the 5-year rotation, and who is behind — scoped like the rest (township staff their township,
city staff the city, the organization department everything, a member only themself)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import ExpressionWrapper, RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.attendance.models import (
    ATTENDED_STATUSES,
    AttendanceChange,
    AttendanceRecord,
    AttendanceSource,
    LeaveSession,
    LeaveStatus,
    OnlineStudy,
    RequirementRule,
    RequirementScope,
)
from lms.compiled import CompiledQuery, Slot
from lms.people.models import Member, MemberCategory
from lms.people.selectors import members_for_user
from lms.scheduling.models import PUBLIC_STATUSES, Enrollment, EnrollmentStatus, Session
from lms.scheduling.selectors import classes_for_user

ROTATION_YEARS = 5
PAST_DAYS = 30  # how far back the roll-call session list goes
AHEAD_DAYS = 14  # and how far ahead


def year_bounds(year: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime.combine(date(year, 1, 1), time.min, tzinfo=tz), datetime.combine(
        date(year + 1, 1, 1), time.min, tzinfo=tz
    )


def sessions_for_staff(user) -> QuerySet[Session]:
    return Session.objects.filter(training_class__in=classes_for_user(user)).select_related(
        "training_class", "teacher", "teaching_point"
    )


def scalar_subquery(queryset: QuerySet, function: str, field: str = "pk") -> Coalesce:
    """`function` (COUNT, SUM) of `field` over `queryset`, which refers to the outer row with `OuterRef`,
    as a correlated subquery: one value per outer row, 0 when there is none. Unlike an aggregate over
    joined relations it never multiplies the outer rows (two joined counts multiply each other's)."""
    return Coalesce(
        Subquery(
            queryset.order_by().annotate(value=Func(F(field), function=function)).values("value"),
            output_field=IntegerField(),
        ),
        0,
    )


def staff_sessions(user) -> QuerySet[Session]:
    """The user's sessions of public classes, with the counts the list shows (one query, one row per
    session: each count is its own subquery)."""
    return (
        sessions_for_staff(user)
        .filter(training_class__status__in=PUBLIC_STATUSES)
        .select_related("training_class__school")
        .annotate(
            enrolled_count=scalar_subquery(
                Enrollment.objects.filter(
                    training_class_id=OuterRef("training_class_id"), status=EnrollmentStatus.ENROLLED
                ),
                "COUNT",
            ),
            marked_count=scalar_subquery(AttendanceRecord.objects.filter(session_id=OuterRef("pk")), "COUNT"),
            pending_leave_count=scalar_subquery(
                LeaveSession.objects.filter(session_id=OuterRef("pk"), status=LeaveStatus.PENDING),
                "COUNT",
            ),
        )
    )


def sessions_today_first(user, now: datetime | None = None) -> dict[str, list[Session]]:
    """Today's sessions in order, then the recent ones (latest first), then the coming ones."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now)
    day_start = datetime.combine(today, time.min, tzinfo=tz)
    day_end = day_start + timedelta(days=1)
    sessions = list(
        staff_sessions(user)
        .filter(
            starts_at__gte=day_start - timedelta(days=PAST_DAYS),
            starts_at__lt=day_end + timedelta(days=AHEAD_DAYS),
        )
        .order_by("starts_at", "id")
    )
    return {
        "today": [s for s in sessions if day_start <= s.starts_at < day_end],
        "recent": [s for s in reversed(sessions) if s.starts_at < day_start],
        "coming": [s for s in sessions if s.starts_at >= day_end],
    }


def records_for_staff(user) -> QuerySet[AttendanceRecord]:
    return AttendanceRecord.objects.filter(session__in=sessions_for_staff(user)).select_related(
        "member", "session__training_class"
    )


def session_sheet(session: Session) -> list[dict]:
    """Every enrolled member of the session's class with their record (or None), by branch and name."""
    records = {
        r.member_id: r for r in AttendanceRecord.objects.filter(session=session).select_related("marked_by")
    }
    enrolments = (
        Enrollment.objects.filter(
            training_class_id=session.training_class_id, status=EnrollmentStatus.ENROLLED
        )
        .select_related("member", "member__branch")
        .order_by("member__branch__name", "member__name")
    )
    return [{"member": e.member, "record": records.get(e.member_id)} for e in enrolments]


def session_count(session: Session) -> int:
    return AttendanceRecord.objects.filter(session=session, status__in=ATTENDED_STATUSES).count()


def latest_check_ins(session: Session, limit: int = 8) -> QuerySet[AttendanceRecord]:
    return (
        AttendanceRecord.objects.filter(session=session, status__in=ATTENDED_STATUSES)
        .select_related("member")
        .order_by("-marked_at", "-id")[:limit]
    )


def record_history(record: AttendanceRecord) -> QuerySet[AttendanceChange]:
    return record.changes.select_related("changed_by").order_by("changed_at", "id")


# --- Requirements and the ledger -----------------------------------------------------------------


# The hours page's small queries, on every visit: compiled once per process (lms/compiled.py). Year
# examples are years the fields accept: the ORM drops a condition whose value is out of range.
_RULES = CompiledQuery(lambda s: RequirementRule.objects.filter(year=s.year), Slot("year", 1788))
_ONLINE = CompiledQuery(
    lambda s: OnlineStudy.objects.filter(member_id=s.member, year=s.year).only("pk", "minutes"),
    Slot("member", -774_000_411),
    Slot("year", 1788),
)
_LAST_ATTENDED = CompiledQuery(
    lambda s: (
        AttendanceRecord.objects.filter(
            member_id=s.member,
            status__in=ATTENDED_STATUSES,
            session__starts_at__gte=s.start,
            session__starts_at__lt=s.end,
        )
        .only("pk")
        .annotate(started=F("session__starts_at"))
        .order_by("-session__starts_at")[:1]
    ),
    Slot("member", -774_000_412),
    Slot("start", datetime(2001, 2, 3, 4, 5, 6, 789_411, tzinfo=UTC)),
    Slot("end", datetime(2001, 2, 3, 4, 5, 6, 789_412, tzinfo=UTC)),
)


def requirement_rules(year: int) -> dict[str, RequirementRule]:
    """The year's rule per member category: the stored one, else the default."""
    from lms.attendance.services import default_rule

    stored = {rule.category: rule for rule in _RULES.all(year=year)}
    return {
        category: stored.get(category) or default_rule(year, category) for category in MemberCategory.values
    }


# --- Sessions a year's hours leave out ------------------------------------------------------------
# An app above attendance may leave some sessions out of a year's hours (lms.quizzes: exam sessions,
# when the organization department's setting for the year says so). It registers, from its
# AppConfig.ready(), a function of the year giving a condition on an attendance record's `session__…`
# (a `Q` that may hold a subquery on that app's own table). Attendance never imports that app, and the
# database evaluates the condition inside each hours query (an uncorrelated subquery, run once per
# query), so no reader makes one query more and each stays bounded by the year's sessions.
_uncounted_sessions: list[Callable[[int], Q]] = []


def register_uncounted_sessions(condition: Callable[[int], Q]) -> None:
    if condition not in _uncounted_sessions:
        _uncounted_sessions.append(condition)


def uncounted_sessions(year: int) -> Q | None:
    """The records whose sessions credit no hours in `year` (a condition on AttendanceRecord), or None
    when no app leaves any out."""
    conditions = [condition(year) for condition in _uncounted_sessions]
    if not conditions:
        return None
    result = conditions[0]
    for condition in conditions[1:]:
        result |= condition
    return result


NOT_COUNTED_BY_SETTING = _("Not counted (department's setting)")


def counts_toward(rule: RequirementRule, record: AttendanceRecord, member: Member) -> bool:
    if rule.scope == RequirementScope.ANY_SCHOOL:
        return True
    return record.session.training_class.school_id == member.branch.township_id


@dataclass
class Ledger:
    member: Member
    year: int
    rule: RequirementRule
    records: list[AttendanceRecord] = field(default_factory=list)
    minutes_by_source: dict[str, int] = field(default_factory=dict)
    total_minutes: int = 0
    counted_minutes: int = 0
    last_attended: date | None = None

    @property
    def required_minutes(self) -> int:
        return int(self.rule.hours * 60)

    @property
    def met(self) -> bool:
        return self.counted_minutes >= self.required_minutes

    @property
    def rotation_met(self) -> bool:
        """Trained at a party school within the last five years."""
        return self.last_attended is not None


def _ledger_records_query(s) -> QuerySet[AttendanceRecord]:
    records = AttendanceRecord.objects.filter(
        member_id=s.member,
        status__in=ATTENDED_STATUSES,
        session__starts_at__gte=s.start,
        session__starts_at__lt=s.end,
    )
    uncounted = uncounted_sessions(s.year)
    if uncounted is not None:
        # Shown, but credited nothing: worked out in the same query as the records.
        records = records.annotate(uncounted=ExpressionWrapper(uncounted, output_field=BooleanField()))
    # The school's title only: a Wagtail page instance per record cost more than the rest of the row.
    return (
        records.select_related("session", "session__training_class")
        .annotate(school_title=F("session__training_class__school__title"))
        .order_by("session__starts_at")
    )


_LEDGER_RECORDS: dict[bool, CompiledQuery] = {}


def _ledger_records(member: Member, year: int) -> list[AttendanceRecord]:
    """The member's credited records of a year, on every hours page: the query is compiled once per
    process (lms/compiled.py), with a `year` slot when an app leaves some sessions out of a year's hours."""
    leaves_out = bool(_uncounted_sessions)
    if leaves_out not in _LEDGER_RECORDS:
        slots = [
            Slot("member", -774_000_401),
            Slot("start", datetime(2001, 2, 3, 4, 5, 6, 789_401, tzinfo=UTC)),
            Slot("end", datetime(2001, 2, 3, 4, 5, 6, 789_402, tzinfo=UTC)),
        ]
        if leaves_out:
            slots.append(Slot("year", 1789))  # a year the field accepts (else Django drops the condition)
        _LEDGER_RECORDS[leaves_out] = CompiledQuery(_ledger_records_query, *slots)
    start, end = year_bounds(year)
    values = {"member": member.pk, "start": start, "end": end} | ({"year": year} if leaves_out else {})
    return _LEDGER_RECORDS[leaves_out].all(**values)


def member_ledger(member: Member, year: int) -> Ledger:
    """The member's credited sessions in `year`, totals per source, what counts toward the rule, and
    the 5-year rotation. A session the year leaves out (`uncounted_sessions`: an exam, by the
    department's setting) is listed with its `not_counted_note` but adds to no total; it still shows
    the member trained for the rotation."""
    rule = requirement_rules(year)[member.category]
    records = _ledger_records(member, year)
    ledger = Ledger(member=member, year=year, rule=rule, records=records)
    for record in records:
        record.not_counted_note = ""
        if getattr(record, "uncounted", False):
            record.counts = False
            record.not_counted_note = NOT_COUNTED_BY_SETTING
            continue
        ledger.minutes_by_source[record.source] = (
            ledger.minutes_by_source.get(record.source, 0) + record.minutes
        )
        ledger.total_minutes += record.minutes
        record.counts = counts_toward(rule, record, member)
        if record.counts:
            ledger.counted_minutes += record.minutes
    # Online study (lms.learning) counts wherever the member watched: the department's online study
    # rules already decided which videos count and up to what cap.
    online = online_minutes(member.pk, year)
    if online:
        ledger.minutes_by_source[AttendanceSource.ONLINE] = online
        ledger.total_minutes += online
        ledger.counted_minutes += online
    # The year's own records are the latest of the rotation's five years: no query when there are any.
    ledger.last_attended = (
        timezone.localdate(records[-1].session.starts_at) if records else last_attended(member, year)
    )
    return ledger


def online_minutes(member_id: int, year: int) -> int:
    """Minutes of online study credited to the member in `year`."""
    # One row per video watched that year: summed here rather than compiling an aggregate.
    return sum(row.minutes for row in _ONLINE.all(member=member_id, year=year))


def last_attended(member: Member, year: int) -> date | None:
    """The last day in the five years up to `year` the member attended a class at a party school."""
    start, _end = year_bounds(year - ROTATION_YEARS + 1)
    _start, end = year_bounds(year)
    record = _LAST_ATTENDED.first(member=member.pk, start=start, end=end)
    return timezone.localdate(record.started) if record else None


def _credited_in(year: int) -> QuerySet[AttendanceRecord]:
    """Records that credit minutes in `year`: the year's sessions first (index on their start), so
    the cost follows one year's records however long the history is; without the sessions the year
    leaves out (`uncounted_sessions`)."""
    start, end = year_bounds(year)
    records = AttendanceRecord.objects.filter(
        status__in=ATTENDED_STATUSES, session__starts_at__gte=start, session__starts_at__lt=end
    ).order_by()
    uncounted = uncounted_sessions(year)
    return records if uncounted is None else records.exclude(uncounted)


def _township_categories(rules: dict[str, RequirementRule]) -> list[str]:
    return [c for c, rule in rules.items() if rule.scope == RequirementScope.TOWNSHIP]


def _required_minutes(rules: dict[str, RequirementRule], category_field: str) -> Case:
    return Case(
        *[When(**{category_field: c}, then=Value(int(rule.hours * 60))) for c, rule in rules.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


def members_meeting_requirement(year: int, rules: dict[str, RequirementRule] | None = None) -> RawSQL:
    """The ids of the members whose counted minutes in `year` reach their category's requirement, as a
    subquery (for `pk__in=`) aggregated over that year's records and online study only (members
    without either are not in it)."""
    rules = rules or requirement_rules(year)
    any_school = [c for c in rules if c not in _township_categories(rules)]
    counts = Q(member__category__in=any_school) | Q(
        session__training_class__school_id=F("member__branch__township_id")
    )
    # The year's counted minutes, records and online study (lms.learning) together, summed per member:
    # one pass over the year's records, none over anyone's history.
    credited = (
        _credited_in(year)
        .filter(counts)
        .annotate(
            credited_member=F("member_id"), credited_category=F("member__category"), credited=F("minutes")
        )
        .values_list("credited_member", "credited_category", "credited")
        .union(
            OnlineStudy.objects.filter(year=year)
            .order_by()
            .annotate(
                credited_member=F("member_id"), credited_category=F("member__category"), credited=F("minutes")
            )
            .values_list("credited_member", "credited_category", "credited"),
            all=True,
        )
    )
    sql, params = credited.query.sql_with_params()
    required = " ".join("WHEN %s THEN %s" for _rule in rules)
    required_params = [value for c, rule in rules.items() for value in (c, int(rule.hours * 60))]
    # Only Django's compiled SQL and placeholders go into the text; every value is a parameter.
    return RawSQL(  # noqa: S611
        f"SELECT u.credited_member FROM ({sql}) u GROUP BY u.credited_member, u.credited_category "  # noqa: S608
        f"HAVING SUM(u.credited) >= CASE u.credited_category {required} ELSE 0 END",
        (*params, *required_params),
    )


def _annotate_minutes(members: QuerySet[Member], year: int, rules: dict[str, RequirementRule]) -> QuerySet:
    mine = _credited_in(year).filter(member_id=OuterRef("pk"))
    at_township = mine.filter(session__training_class__school_id=OuterRef("branch__township_id"))
    online = OnlineStudy.objects.filter(year=year, member_id=OuterRef("pk"))
    return members.annotate(
        record_minutes=scalar_subquery(mine, "SUM", "minutes"),
        township_minutes=scalar_subquery(at_township, "SUM", "minutes"),
        online_minutes=scalar_subquery(online, "SUM", "minutes"),
        total_minutes=F("record_minutes") + F("online_minutes"),
        counted_minutes=Case(
            When(category__in=_township_categories(rules), then=F("township_minutes")),
            default=F("record_minutes"),
            output_field=IntegerField(),
        )
        + F("online_minutes"),
    )


def members_with_hours(user, year: int) -> QuerySet[Member]:
    """The members the user may see, each with `counted_minutes` (what counts toward their rule),
    `total_minutes` and `required_minutes` for the year. The minutes are correlated subqueries over
    the member's records of that year, worked out only for the rows fetched (a page, not everyone)."""
    rules = requirement_rules(year)
    return _annotate_minutes(members_for_user(user), year, rules).annotate(
        required_minutes=_required_minutes(rules, "category")
    )


def with_hours(members: list[Member], year: int) -> list[Member]:
    """The same `total_minutes`, `township_minutes`, `counted_minutes` and `required_minutes` as
    `members_with_hours`, set on a page (or a chunk) of members already fetched (with their branch):
    one query over the year's records of these members, however long the history is, and one over
    their online study of the year (added to the total and the counted minutes)."""
    rules = requirement_rules(year)
    township_categories = _township_categories(rules)
    minutes = {
        row["member_id"]: row
        for row in _credited_in(year)
        .filter(member_id__in=[member.pk for member in members])
        .values("member_id")
        .annotate(
            total=Sum("minutes"),
            township=Sum(
                "minutes", filter=Q(session__training_class__school_id=F("member__branch__township_id"))
            ),
        )
    }
    online = dict(
        OnlineStudy.objects.filter(year=year, member_id__in=[member.pk for member in members])
        .values("member_id")
        .annotate(minutes=Sum("minutes"))
        .values_list("member_id", "minutes")
    )
    for member in members:
        row = minutes.get(member.pk, {})
        member.online_minutes = online.get(member.pk) or 0
        member.total_minutes = (row.get("total") or 0) + member.online_minutes
        member.township_minutes = row.get("township") or 0
        member.counted_minutes = (
            member.township_minutes if member.category in township_categories else row.get("total") or 0
        ) + member.online_minutes
        rule = rules.get(member.category)
        member.required_minutes = int(rule.hours * 60) if rule else 0
    return members


def members_behind(user, year: int) -> QuerySet[Member]:
    """Members short of their requirement in `year`: everyone in scope but those who met it (one
    hashed set from the year's records) and those whose category requires nothing, so neither the
    filter nor the count works out anybody's minutes."""
    rules = requirement_rules(year)
    nothing_required = [c for c, rule in rules.items() if rule.hours <= 0]
    return (
        members_with_hours(user, year)
        .exclude(category__in=nothing_required)
        .exclude(pk__in=members_meeting_requirement(year, rules))
        .order_by("branch__township__path", "branch__name", "name")
    )


def members_trained_between(start: datetime, end: datetime) -> Exists:
    """Whether the outer member attended a session starting in [start, end)."""
    return Exists(
        AttendanceRecord.objects.filter(
            member_id=OuterRef("pk"),
            status__in=ATTENDED_STATUSES,
            session__starts_at__gte=start,
            session__starts_at__lt=end,
        )
    )

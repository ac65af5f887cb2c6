"""The county's figures (统计), for the dashboard, its drill-down, the annual report and the API.

A place is the county (the organization department), a city school's townships (its staff), one
township or one branch; its figures are grouped by the level below (townships, branches, members).
Coverage, the months line, participation and a branch's members are read from the members' monthly
hours (`models.MemberMonthHours`, summed from the records by the worker, a year at a time: ≈ 240,000
rows a year at 20,000 members instead of ≈ 2 M records); classes and teachers from their own tables,
bounded by the year (five years for the rotation and the teachers' trend). The number of queries does
not depend on years, townships or members, and the time follows one year, not the whole history
(measured in `bench/dashboard_history.py`, BENCH_COUNTY=20m for ≈ 20 M records).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Page

from courses.models import CitySchoolPage, TownshipSchoolPage
from lms.attendance import selectors as hours
from lms.attendance.models import AttendanceSource, RequirementScope
from lms.evaluation import ranking
from lms.people.models import Branch, Member, MemberCategory
from lms.people.roles import Role
from lms.people.selectors import (
    branches_for_user,
    is_org_dept,
    is_staff_user,
    staff_scope_paths,
    townships_managed_by,
    user_has_role,
)
from lms.scheduling.models import PUBLIC_STATUSES, PlannedClass, TrainingClass
from lms.stats.models import MemberMonthHours as MonthHours

COUNTY, CITY, TOWNSHIP, BRANCH = "county", "city", "township", "branch"
MONTHS = list(range(1, 13))
MEMBERS_PER_PAGE = 50
OTHER_RECORDS = "other"  # participation: minutes of records from any other source
# Satisfaction buckets of the teachers' distribution: [low, high) in percent.
SATISFACTION_BUCKETS = [(0, 60), (60, 80), (80, 90), (90, 95), (95, 101)]


def share(part: int, whole: int) -> Decimal:
    """part/whole in percent with one decimal (0 when there is no whole)."""
    if not whole:
        return Decimal(0)
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- Places and who may see them -------------------------------------------------------------------


@dataclass
class Place:
    """Where the figures are read: the county (or a city school's townships), a township or a branch."""

    level: str
    title: str
    townships: QuerySet  # the township schools inside the place
    township: TownshipSchoolPage | None = None
    branch: Branch | None = None
    parent: "Place | None" = None

    @property
    def child_level(self) -> str:
        return {COUNTY: TOWNSHIP, CITY: TOWNSHIP, TOWNSHIP: BRANCH, BRANCH: "member"}[self.level]

    @property
    def ancestors(self) -> list["Place"]:
        chain, place = [], self.parent
        while place is not None:
            chain.insert(0, place)
            place = place.parent
        return chain

    def members(self) -> QuerySet[Member]:
        members = Member.objects.all()
        if self.branch is not None:
            return members.filter(branch_id=self.branch.pk)
        if self.township is not None:
            return members.filter(branch__township_id=self.township.pk)
        if self.level == COUNTY:
            return members
        return members.filter(branch__township__in=self.townships)

    def schools(self) -> QuerySet[Page]:
        """The schools whose classes count here: every school in the county, a city school and its
        townships, one township school."""
        township = self.township or (self.branch.township if self.branch else None)
        if township is not None:
            return Page.objects.filter(pk=township.pk)
        schools = Page.objects.type(CitySchoolPage, TownshipSchoolPage)
        if self.level == COUNTY:
            return schools
        paths = Q()
        for path in self._city_paths:
            paths |= Q(path__startswith=path)
        return schools.filter(paths)

    _city_paths: list = field(default_factory=list)


def sees_county(user) -> bool:
    return is_org_dept(user)


def may_see_stats(user) -> bool:
    """Staff see their schools' figures; members and teachers have their own pages."""
    return is_staff_user(user)


def may_see_teachers(user) -> bool:
    """The teacher ranking is the organization department's and the city school's (teachers are the
    county's pool; township staff see their own figures only)."""
    return is_org_dept(user) or user_has_role(user, Role.CITY_STAFF)


def home_place(user) -> Place | None:
    """Where the user lands: the county, a city school's townships, or their one township."""
    if not may_see_stats(user):
        return None
    if sees_county(user):
        return Place(COUNTY, _("The county"), TownshipSchoolPage.objects.all())
    townships = townships_managed_by(user)
    paths = staff_scope_paths(user)
    cities = list(CitySchoolPage.objects.filter(path__in=paths).order_by("path"))
    if cities:
        title = "、".join(city.title for city in cities)
        return Place(CITY, title, townships, _city_paths=[city.path for city in cities])
    mine = list(townships.order_by("path")[:2])
    if len(mine) == 1:
        return Place(TOWNSHIP, mine[0].title, townships, township=mine[0])
    if not mine:
        return None
    return Place(CITY, _("My townships"), townships, _city_paths=paths)


def township_place(user, township_id: int) -> Place | None:
    township = townships_managed_by(user).filter(pk=township_id).first()
    if township is None:
        return None
    home = home_place(user)
    parent = home if home is not None and home.level in (COUNTY, CITY) else None
    return Place(
        TOWNSHIP,
        township.title,
        TownshipSchoolPage.objects.filter(pk=township.pk),
        township=township,
        parent=parent,
    )


def branch_place(user, branch_id: int) -> Place | None:
    branch = branches_for_user(user).filter(pk=branch_id).first()
    if branch is None:
        return None
    parent = township_place(user, branch.township_id)
    return Place(
        BRANCH,
        branch.name,
        TownshipSchoolPage.objects.filter(pk=branch.township_id),
        branch=branch,
        parent=parent,
    )


# --- Training coverage -----------------------------------------------------------------------------


@dataclass
class Coverage:
    """One row of the coverage table: a township, a branch or the place's total."""

    key: int | None
    title: str
    members: int = 0
    required: int = 0  # members whose category requires hours this year
    met: int = 0
    cadres: int = 0  # village "two committees" cadres (two days a year)
    cadres_met: int = 0
    rotated: int = 0  # trained at a party school in the five years up to this one

    def add(self, other: "Coverage") -> None:
        for name in ("members", "required", "met", "cadres", "cadres_met", "rotated"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def behind(self) -> int:
        return self.required - self.met

    @property
    def met_share(self) -> Decimal:
        return share(self.met, self.required)

    @property
    def cadres_share(self) -> Decimal:
        return share(self.cadres_met, self.cadres)

    @property
    def rotation_share(self) -> Decimal:
        return share(self.rotated, self.members)

    def as_dict(self) -> dict:
        return {
            "id": self.key,
            "title": self.title,
            "members": self.members,
            "required": self.required,
            "met": self.met,
            "behind": self.behind,
            "met_share": float(self.met_share),
            "cadres": self.cadres,
            "cadres_met": self.cadres_met,
            "cadres_share": float(self.cadres_share),
            "rotated": self.rotated,
            "rotation_share": float(self.rotation_share),
        }


def _child_units(place: Place) -> tuple[str, list[tuple[int, str]]]:
    """The member field that groups by the level below, and the units in order (one query)."""
    if place.level == TOWNSHIP:
        branches = Branch.objects.filter(township_id=place.township.pk).order_by("name", "pk")
        return "branch_id", list(branches.values_list("pk", "name"))
    townships = place.townships.order_by("path")
    return "branch__township_id", list(townships.values_list("pk", "title"))


def _in_place(place: Place, prefix: str = "member__") -> Q:
    """A condition on a row with a member (`prefix` leads to it) for the members of the place."""
    if place.branch is not None:
        return Q(**{f"{prefix}branch_id": place.branch.pk})
    if place.township is not None:
        return Q(**{f"{prefix}branch__township_id": place.township.pk})
    if place.level == COUNTY:
        return Q()
    return Q(**{f"{prefix}branch__township__in": place.townships})


def figures_stamp(year: int):
    """When the year's monthly hours were summed (a FiguresRefresh), one query; the years of its
    five-year rotation never summed yet are summed now, once (services.figures_ensure)."""
    from lms.stats.services import figures_ensure  # services read these selectors

    return figures_ensure(years=range(year - hours.ROTATION_YEARS + 1, year + 1))[year]


def month_hours(place: Place, year: int) -> QuerySet[MonthHours]:
    """The stored monthly hours of the place's members in `year` (see services.figures_refresh)."""
    return MonthHours.objects.filter(_in_place(place), year=year).order_by()


def _counted(rules: dict) -> Case:
    """A monthly row's minutes that count toward its member's requirement: at the own township's school
    only for the categories whose rule says so, anywhere for the others; online study always."""
    township_only = [c for c, rule in rules.items() if rule.scope == RequirementScope.TOWNSHIP]
    return Case(
        When(member__category__in=township_only, then=F("township_minutes")),
        default=F("minutes"),
        output_field=IntegerField(),
    ) + F("online_minutes")


def _required(rules: dict, category_field: str = "member__category") -> Case:
    return Case(
        *[When(**{category_field: c}, then=Value(int(rule.hours * 60))) for c, rule in rules.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


def members_meeting_requirement(year: int, rules: dict) -> QuerySet:
    """The ids of the members whose counted minutes of `year` reach their category's requirement, as a
    subquery over the year's monthly hours (a member without any is not in it)."""
    return (
        MonthHours.objects.filter(year=year)
        .order_by()
        .values("member_id", "member__category")
        .annotate(counted=Sum(_counted(rules)))
        .filter(counted__gte=_required(rules), counted__gt=0)
        .values("member_id")
    )


def coverage(place: Place, year: int, ensure: bool = True) -> tuple[list[Coverage], Coverage]:
    """Coverage per township (county, city) or branch (township), and the place's total, counted in
    the database in one query from the stored monthly hours: who met the requirement is one hashed set
    over the year's rows, the five-year rotation an index probe per member (member, year, month)."""
    if ensure:  # the dashboard has done it already
        figures_stamp(year)
    rules = hours.requirement_rules(year)
    required = [c for c, rule in rules.items() if rule.hours > 0]
    met = Q(category__in=required, pk__in=members_meeting_requirement(year, rules))
    rotated = Exists(
        MonthHours.objects.filter(
            member_id=OuterRef("pk"),
            year__gte=year - hours.ROTATION_YEARS + 1,
            year__lte=year,
            attended_sessions__gt=0,
        )
    )
    group, units = (
        _child_units(place) if place.level != BRANCH else ("branch_id", [(place.branch.pk, place.title)])
    )
    # Grouped by unit and category, so who met the requirement is one hashed set for the query (the
    # cadres are one of the categories), not one per count.
    counts = (
        place.members()
        .order_by()
        .values(group, "category")
        .annotate(members=Count("pk"), met=Count("pk", filter=met), rotated=Count("pk", filter=rotated))
    )
    rows = {key: Coverage(key, title) for key, title in units}
    total = Coverage(None, place.title)
    for counted in counts:
        category, members, met_here = counted["category"], counted["members"], counted["met"]
        applies = category in required
        cadres = category == MemberCategory.VILLAGE_CADRE and applies
        row = Coverage(
            counted[group],
            "",
            members=members,
            required=members if applies else 0,
            met=met_here,
            cadres=members if cadres else 0,
            cadres_met=met_here if category == MemberCategory.VILLAGE_CADRE else 0,
            rotated=counted["rotated"],
        )
        if counted[group] in rows:
            rows[counted[group]].add(row)
        total.add(row)
    return list(rows.values()), total


def coverage_by_month(place: Place, year: int) -> list[dict]:
    """Month by month: members who had met their requirement by the month's end (cumulative), and
    members who trained in the month (a credited session or online study). One query over the year's
    monthly hours: each member's running sum over the months (a window), the month it first reaches the
    requirement, counted per month in the database (twelve rows come back)."""
    rules = hours.requirement_rules(year)
    running = (
        month_hours(place, year)
        .annotate(
            counted=_counted(rules),
            required=_required(rules),
            cumulative=Window(Sum(_counted(rules)), partition_by=[F("member_id")], order_by=F("month").asc()),
        )
        .values("month", "counted", "required", "cumulative", "credited_sessions", "online_minutes")
    )
    sql, params = running.query.sql_with_params()
    with connection.cursor() as cursor:
        # Only Django's compiled SQL goes into the text; every value is a parameter.
        cursor.execute(
            "SELECT r.month, "  # noqa: S608
            "SUM(CASE WHEN r.credited_sessions > 0 OR r.online_minutes > 0 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN r.required > 0 AND r.cumulative >= r.required "
            "AND r.cumulative - r.counted < r.required THEN 1 ELSE 0 END) "
            f"FROM ({sql}) r GROUP BY r.month",
            params,
        )
        by_month = {month: (trained, met) for month, trained, met in cursor.fetchall()}
    result, cumulative = [], 0
    for month in MONTHS:
        trained, met = by_month.get(month, (0, 0))
        cumulative += met or 0
        result.append({"month": month, "met": cumulative, "trained": trained or 0})
    return result


def members_page(place: Place, year: int, page: int = 1) -> tuple[list[Member], int]:
    """A branch's members, a page at a time, with their minutes for the year from the stored monthly
    hours (`total_minutes`, `counted_minutes`, `required_minutes`) and `met`; and how many there are."""
    members = place.members().select_related("branch").order_by("name", "pk")
    total = members.count()
    page = max(1, page)
    chunk = list(members[(page - 1) * MEMBERS_PER_PAGE : page * MEMBERS_PER_PAGE])
    rules = hours.requirement_rules(year)
    sums = {
        row["member_id"]: row
        for row in MonthHours.objects.filter(year=year, member_id__in=[m.pk for m in chunk])
        .order_by()
        .values("member_id")
        .annotate(total=Sum(F("minutes") + F("online_minutes")), counted=Sum(_counted(rules)))
    }
    for member in chunk:
        row = sums.get(member.pk, {})
        rule = rules.get(member.category)
        member.total_minutes = row.get("total") or 0
        member.counted_minutes = row.get("counted") or 0
        member.required_minutes = int(rule.hours * 60) if rule else 0
        member.met = member.counted_minutes >= member.required_minutes
    return chunk, total


# --- Classes ---------------------------------------------------------------------------------------


@dataclass
class ClassFigures:
    key: int | None
    title: str
    planned: int = 0
    held: int = 0
    compliant: int = 0
    scheduled: int = 0  # published, not started yet

    @property
    def compliant_share(self) -> Decimal:
        return share(self.compliant, self.held)

    def as_dict(self) -> dict:
        return {
            "id": self.key,
            "title": self.title,
            "planned": self.planned,
            "held": self.held,
            "compliant": self.compliant,
            "scheduled": self.scheduled,
            "compliant_share": float(self.compliant_share),
        }


def classes(place: Place, year: int, today: date | None = None) -> dict:
    """Classes planned (annual plans), held (public classes started by today), 5+1+N compliant among
    them, and still scheduled: per school and per month, with the total (three queries)."""
    today = today or timezone.localdate()
    schools = list(place.schools().order_by("path").values_list("pk", "title"))
    by_school = {pk: ClassFigures(pk, title) for pk, title in schools}
    by_month = {month: ClassFigures(month, str(month)) for month in MONTHS}
    total = ClassFigures(None, place.title)
    school_ids = [pk for pk, _title in schools]
    planned = (
        PlannedClass.objects.filter(plan__year=year, plan__school_id__in=school_ids)
        .values("plan__school_id", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in planned:
        for figures in (by_school.get(row["plan__school_id"]), by_month[row["month"]], total):
            figures.planned += row["n"]
    held = (
        TrainingClass.objects.filter(
            school_id__in=school_ids,
            status__in=PUBLIC_STATUSES,
            start_date__gte=date(year, 1, 1),
            start_date__lte=date(year, 12, 31),
        )
        .annotate(month=ExtractMonth("start_date"))
        .values("school_id", "month")
        .annotate(
            held=Count("pk", filter=Q(start_date__lte=today)),
            compliant=Count("pk", filter=Q(start_date__lte=today, is_compliant=True)),
            scheduled=Count("pk", filter=Q(start_date__gt=today)),
        )
        .order_by()
    )
    for row in held:
        for figures in (by_school.get(row["school_id"]), by_month[row["month"]], total):
            figures.held += row["held"]
            figures.compliant += row["compliant"]
            figures.scheduled += row["scheduled"]
    return {"schools": list(by_school.values()), "months": list(by_month.values()), "total": total}


def classes_held(place: Place, year: int, today: date | None = None) -> QuerySet[TrainingClass]:
    """The year's public classes started by today, for the annual report's list."""
    today = today or timezone.localdate()
    return (
        TrainingClass.objects.filter(
            school__in=place.schools(),
            status__in=PUBLIC_STATUSES,
            start_date__gte=date(year, 1, 1),
            start_date__lte=min(date(year, 12, 31), today),
        )
        .select_related("school")
        .order_by("start_date", "pk")
    )


# --- Live, replays, make-up ------------------------------------------------------------------------


@dataclass
class Participation:
    key: int | None
    title: str
    minutes: dict = field(default_factory=dict)  # credited minutes per attendance source
    replays: int = 0  # sessions made up by watching the replay
    makeup_owed: int = 0  # sessions missed (absent) and not made up yet

    @property
    def live_minutes(self) -> int:
        return self.minutes.get(AttendanceSource.LIVE, 0)

    @property
    def in_person_minutes(self) -> int:
        return sum(self.minutes.get(s, 0) for s in (AttendanceSource.QR, AttendanceSource.ROLL_CALL))

    @property
    def replay_minutes(self) -> int:
        return self.minutes.get(AttendanceSource.REPLAY, 0)

    @property
    def online_minutes(self) -> int:
        """On-demand videos watched (online study, lms.learning)."""
        return self.minutes.get(AttendanceSource.ONLINE, 0)

    @property
    def other_minutes(self) -> int:
        """Online study and any other source the ledger credits."""
        return sum(self.minutes.values()) - self.live_minutes - self.in_person_minutes - self.replay_minutes

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes.values())

    def as_dict(self) -> dict:
        return {
            "id": self.key,
            "title": self.title,
            "in_person_minutes": self.in_person_minutes,
            "live_minutes": self.live_minutes,
            "replay_minutes": self.replay_minutes,
            "other_minutes": self.other_minutes,
            "replays": self.replays,
            "makeup_owed": self.makeup_owed,
        }


def participation(place: Place, year: int) -> tuple[list[Participation], Participation]:
    """Minutes credited per source (in person, live, replay, online study of on-demand videos), replays
    watched and sessions still owed (absent), per township or branch: one query over the year's stored
    monthly hours."""
    group, units = (
        _child_units(place) if place.level != BRANCH else ("branch_id", [(place.branch.pk, place.title)])
    )
    sums = (
        month_hours(place, year)
        .values(f"member__{group}")
        .annotate(
            minutes=Sum("minutes"),
            in_person=Sum("in_person_minutes"),
            live=Sum("live_minutes"),
            replay=Sum("replay_minutes"),
            online=Sum("online_minutes"),
            replays=Sum("replays"),
            absences=Sum("absences"),
        )
    )
    rows = {key: Participation(key, title) for key, title in units}
    total = Participation(None, place.title)
    for row in sums:
        for figures in (rows.get(row[f"member__{group}"]), total):
            if figures is None:
                continue
            sources = (row["in_person"] or 0) + (row["live"] or 0) + (row["replay"] or 0)
            other = (row["minutes"] or 0) - sources
            for key, value in (
                (AttendanceSource.QR, row["in_person"]),
                (AttendanceSource.LIVE, row["live"]),
                (AttendanceSource.REPLAY, row["replay"]),
                (AttendanceSource.ONLINE, row["online"]),
                (OTHER_RECORDS, other),
            ):
                figures.minutes[key] = figures.minutes.get(key, 0) + (value or 0)
            figures.replays += row["replays"] or 0
            figures.makeup_owed += row["absences"] or 0
    return list(rows.values()), total


# --- Teachers --------------------------------------------------------------------------------------


@dataclass
class TeacherFigures:
    year: int
    rows: list  # ranking.RankingRow, ranked within each category
    distribution: list[dict]
    not_award_eligible: list
    rectification: list
    category_trend: dict  # category → {year: mean satisfaction of its rated teachers}
    summary: dict


def teachers(year: int, now=None) -> TeacherFigures:
    """The year's teacher ranking (a fixed number of queries) with the satisfaction distribution, the
    flagged teachers and each category's five-year trend (the mean of its rated teachers' rates)."""
    rows = ranking.teacher_ranking(year, now=now)
    rated = [row for row in rows if row.rated]
    distribution = []
    for low, high in SATISFACTION_BUCKETS:
        label = f"{low}–{min(high, 100)}%" if high <= 100 else f"≥{low}%"
        count = sum(1 for row in rated if low <= row.satisfaction_rate < high)
        distribution.append({"label": label, "low": low, "high": high, "teachers": count})
    trend_years = range(year - ranking.TREND_YEARS + 1, year + 1)
    category_trend: dict[str, dict[int, float | None]] = {}
    for category in sorted({row.teacher.category for row in rows}):
        category_trend[category] = {}
        for trend_year in trend_years:
            rates = [
                row.trend[trend_year]
                for row in rows
                if row.teacher.category == category and row.trend.get(trend_year) is not None
            ]
            category_trend[category][trend_year] = float(sum(rates) / len(rates)) if rates else None
    return TeacherFigures(
        year=year,
        rows=rows,
        distribution=distribution,
        not_award_eligible=[r for r in rated if ranking.NOT_AWARD_ELIGIBLE in r.flags],
        rectification=[r for r in rated if ranking.RECTIFICATION in r.flags],
        category_trend=category_trend,
        summary=ranking.county_summary(rows),
    )


# --- Everything for one place ----------------------------------------------------------------------


@dataclass
class Dashboard:
    place: Place
    year: int
    coverage: list
    coverage_total: Coverage
    months: list
    classes: dict
    participation: list
    participation_total: Participation
    teachers: TeacherFigures | None
    refreshed_at: object = None  # when the attendance figures were summed (models.FiguresRefresh)


def dashboard(user, place: Place, year: int, now=None) -> Dashboard:
    """All the figures of one place and year, in a fixed number of queries."""
    now = now or timezone.now()
    stamp = figures_stamp(year)
    rows, total = coverage(place, year, ensure=False)
    taking_part, taking_part_total = participation(place, year)
    show_teachers = place.level in (COUNTY, CITY) and may_see_teachers(user)
    return Dashboard(
        place=place,
        year=year,
        coverage=rows,
        coverage_total=total,
        months=coverage_by_month(place, year),
        classes=classes(place, year, timezone.localdate(now)),
        participation=taking_part,
        participation_total=taking_part_total,
        teachers=teachers(year, now) if show_teachers else None,
        refreshed_at=stamp.refreshed_at,
    )

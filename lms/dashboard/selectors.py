"""Reads for the admin home panels: what each role has to do today.

Everything is scoped by the apps' own selectors (township staff their township, city-school staff
their city, the organization department the county) and costs a fixed number of queries however many
sessions, classes, evaluations or teachers there are: counts are correlated subqueries, never joins
counted together (two joined counts multiply each other's rows).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from lms.attendance.models import ATTENDED_STATUSES, AttendanceRecord, LeaveRequest, LeaveStatus
from lms.attendance.selectors import sessions_for_staff
from lms.evaluation import ranking
from lms.evaluation.models import SessionEvaluation
from lms.evaluation.selectors import evaluation_list
from lms.scheduling.models import PUBLIC_STATUSES, ClassStatus, Enrollment, EnrollmentStatus, Session
from lms.scheduling.selectors import classes_for_user

# "Today" and "this week" are the county's, whatever the server's clock says.
COUNTY_TZ = ZoneInfo("Asia/Shanghai")
CLOSING_DAYS = 3  # evaluations closing within this many days are listed
LIST_LIMIT = 10  # rows a panel lists before "and N more"


def county_today(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), COUNTY_TZ).date()


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=COUNTY_TZ)


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week holding `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _count_of(queryset) -> Subquery:
    """A correlated COUNT(*) subquery."""
    return Subquery(
        queryset.order_by().values(group=Value(1)).annotate(total=Count("*")).values("total"),
        output_field=IntegerField(),
    )


def _enrolled_in(class_ref: str) -> Coalesce:
    return Coalesce(
        _count_of(
            Enrollment.objects.filter(training_class_id=OuterRef(class_ref), status=EnrollmentStatus.ENROLLED)
        ),
        0,
    )


@dataclass
class Listing:
    """The first rows of a list and how many there are in all."""

    rows: list
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def _listing(queryset: QuerySet, limit: int = LIST_LIMIT) -> Listing:
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return Listing(rows=rows, total=len(rows))
    return Listing(rows=rows[:limit], total=queryset.count())


# --- Township and city-school staff ----------------------------------------------------------------


def sessions_today(user, now: datetime | None = None) -> list[Session]:
    """The user's sessions of public classes that start today, in order, each with `enrolled_count`
    (members enrolled in its class) and `signed_in_count` (present, late or left early)."""
    today = county_today(now)
    return list(
        sessions_for_staff(user)
        .filter(
            training_class__status__in=PUBLIC_STATUSES,
            starts_at__gte=day_start(today),
            starts_at__lt=day_start(today + timedelta(days=1)),
        )
        .select_related("training_class__school")
        .annotate(
            enrolled_count=_enrolled_in("training_class_id"),
            signed_in_count=Coalesce(
                _count_of(
                    AttendanceRecord.objects.filter(session_id=OuterRef("pk"), status__in=ATTENDED_STATUSES)
                ),
                0,
            ),
        )
        .order_by("starts_at", "id")
    )


def pending_leave_count(user) -> int:
    """A plain count of the pending requests of the user's classes (the list's selector also works out
    each request's first session and number of sessions, which a count does not need)."""
    return LeaveRequest.objects.filter(
        training_class__in=classes_for_user(user), status=LeaveStatus.PENDING
    ).count()


def classes_breaking_rules(user, now: datetime | None = None) -> Listing:
    """Classes not over yet that do not follow 5+1+N (drafts, mostly: a published class cannot be
    edited into breaking it), soonest first. Cancelled classes are left out."""
    return _listing(
        classes_for_user(user)
        .filter(is_compliant=False, end_date__gte=county_today(now))
        .exclude(status=ClassStatus.CANCELLED)
        .order_by("start_date", "school__path", "id")
    )


# --- The organization department -------------------------------------------------------------------


def classes_this_week(user, now: datetime | None = None) -> Listing:
    """Public classes held on at least one day of this week (Monday to Sunday), with `enrolled_count`."""
    monday, sunday = week_of(county_today(now))
    return _listing(
        classes_for_user(user)
        .filter(status__in=PUBLIC_STATUSES, start_date__lte=sunday, end_date__gte=monday)
        .annotate(enrolled_count=_enrolled_in("pk"))
        .order_by("start_date", "school__path", "id"),
        limit=2 * LIST_LIMIT,
    )


def evaluations_closing(user, now: datetime | None = None, days: int = CLOSING_DAYS) -> Listing:
    """Open evaluations that close within `days`, soonest first, with `responses` and `eligible`."""
    now = now or timezone.now()
    closing: QuerySet[SessionEvaluation] = evaluation_list(user).filter(
        opens_at__lte=now, closes_at__gt=now, closes_at__lte=now + timedelta(days=days)
    )
    return _listing(closing.order_by("closes_at", "pk").select_related("session__teaching_point"))


@dataclass
class FlaggedTeachers:
    year: int
    rectification: list  # RankingRows below 60 % (with removal recommended among them)
    not_award_eligible: int  # teachers below 90 % (those below 60 % included)


def flagged_teachers(now: datetime | None = None) -> FlaggedTeachers:
    """This year's flags of the county ranking (`ranking.teacher_ranking`, a fixed number of queries):
    who needs rectification, worst first, and how many are not eligible for awards."""
    now = now or timezone.now()
    year = county_today(now).year
    rows = ranking.teacher_ranking(year, now=now)
    below_60 = [row for row in rows if ranking.RECTIFICATION in row.flags]
    below_60.sort(key=lambda row: (row.satisfaction_rate, row.teacher.name))
    return FlaggedTeachers(
        year=year,
        rectification=below_60,
        not_award_eligible=sum(1 for row in rows if ranking.NOT_AWARD_ELIGIBLE in row.flags),
    )


# --- Everyone who oversees schools -----------------------------------------------------------------


@dataclass
class YearFigures:
    """The year so far at a glance, for the home panel (the figures of lms.stats)."""

    year: int
    place: object  # lms.stats.selectors.Place
    coverage: object  # lms.stats.selectors.Coverage (the place's total)
    classes: object  # lms.stats.selectors.ClassFigures (the place's total)
    weakest: list  # the townships or branches furthest behind, worst first


def year_figures(user, now: datetime | None = None, weakest: int = 3) -> YearFigures | None:
    """This year's coverage and classes for the place the user oversees (a fixed number of queries),
    with the units furthest behind: where today's work is."""
    from lms.stats import selectors as stats

    place = stats.home_place(user)
    if place is None:
        return None
    today = county_today(now)
    rows, total = stats.coverage(place, today.year)
    behind = sorted((row for row in rows if row.behind), key=lambda row: (row.met_share, row.title))
    return YearFigures(
        year=today.year,
        place=place,
        coverage=total,
        classes=stats.classes(place, today.year, today)["total"],
        weakest=behind[:weakest],
    )

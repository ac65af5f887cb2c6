"""The dashboard's figures as JSON for the province's platform (/api/v1/stats/...), with the
dashboard's scopes: the organization department the county, city-school staff their townships,
township staff their township; another place is a 404, members and teachers get 403."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from lms.people.api import Message
from lms.stats import selectors

router = Router(tags=["stats"])


class CoverageOut(Schema):
    id: int | None
    title: str
    members: int
    required: int
    met: int
    behind: int
    met_share: float
    cadres: int
    cadres_met: int
    cadres_share: float
    rotated: int
    rotation_share: float


class MonthOut(Schema):
    month: int
    met: int
    trained: int


class ClassesOut(Schema):
    id: int | None
    title: str
    planned: int
    held: int
    compliant: int
    scheduled: int
    compliant_share: float


class ParticipationOut(Schema):
    id: int | None
    title: str
    in_person_minutes: int
    live_minutes: int
    replay_minutes: int
    other_minutes: int
    replays: int
    makeup_owed: int


class TeacherOut(Schema):
    name: str
    category: str
    rank: int | None
    satisfaction_rate: float | None
    flags: list[str]
    trend: dict[str, float | None]


class BucketOut(Schema):
    label: str
    low: int
    high: int
    teachers: int


class TeachersOut(Schema):
    distribution: list[BucketOut]
    ranking: list[TeacherOut]


class StatsOut(Schema):
    year: int
    level: str
    place: str
    rows_are: str
    coverage: list[CoverageOut]
    coverage_total: CoverageOut
    months: list[MonthOut]
    classes: list[ClassesOut]
    classes_total: ClassesOut
    participation: list[ParticipationOut]
    participation_total: ParticipationOut
    teachers: TeachersOut | None
    refreshed_at: datetime | None = Field(
        None, description="When the attendance figures (coverage, months, participation) were last summed"
    )


def _payload(dash: selectors.Dashboard) -> dict:
    teachers = None
    if dash.teachers is not None:
        teachers = {
            "distribution": dash.teachers.distribution,
            "ranking": [
                {
                    "name": row.teacher.name,
                    "category": row.teacher.category,
                    "rank": row.rank,
                    "satisfaction_rate": float(row.satisfaction_rate)
                    if row.satisfaction_rate is not None
                    else None,
                    "flags": row.flags,
                    "trend": {str(y): (float(v) if v is not None else None) for y, v in row.trend.items()},
                }
                for row in dash.teachers.rows
            ],
        }
    return {
        "year": dash.year,
        "level": dash.place.level,
        "place": dash.place.title,
        "rows_are": dash.place.child_level,
        "coverage": [row.as_dict() for row in dash.coverage],
        "coverage_total": dash.coverage_total.as_dict(),
        "months": dash.months,
        "classes": [row.as_dict() for row in dash.classes["schools"]],
        "classes_total": dash.classes["total"].as_dict(),
        "participation": [row.as_dict() for row in dash.participation],
        "participation_total": dash.participation_total.as_dict(),
        "teachers": teachers,
        "refreshed_at": dash.refreshed_at,
    }


def _answer(request, place, year: int | None):
    if not selectors.may_see_stats(request.user):
        return Status(403, {"detail": _("Only staff may see the county's figures.")})
    if place is None:
        return Status(404, {"detail": _("There are no figures for you here.")})
    year = year or timezone.localdate().year
    return _payload(selectors.dashboard(request.user, place, year))


YEAR = Query(None, ge=2000, le=2100, description="The year (default: this year)")


@router.get("/stats", response={200: StatsOut, 403: Message, 404: Message}, summary="Figures of my place")
def stats_home(request, year: int | None = YEAR):
    """The county (organization department), a city school's townships or the user's township, with
    the level below as rows."""
    return _answer(request, selectors.home_place(request.user), year)


@router.get(
    "/stats/townships/{township_id}",
    response={200: StatsOut, 403: Message, 404: Message},
    summary="Figures of a township, by branch",
)
def stats_township(request, township_id: int, year: int | None = YEAR):
    return _answer(request, selectors.township_place(request.user, township_id), year)


@router.get(
    "/stats/branches/{branch_id}",
    response={200: StatsOut, 403: Message, 404: Message},
    summary="Figures of a branch",
)
def stats_branch(request, branch_id: int, year: int | None = YEAR):
    return _answer(request, selectors.branch_place(request.user, branch_id), year)

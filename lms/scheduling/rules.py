"""The 5+1+N rules: what makes a training class publishable.

`class_violations` is the one place the template is checked. It works on a class and its sessions
whether they are saved or still in memory (the admin form checks before saving), and returns every
violation in plain words, so staff can fix them all at once.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from wagtail.models import Page

from courses.models import CitySchoolPage, TownshipSchoolPage
from lms.scheduling.models import MANDATORY_KINDS, TAUGHT_KINDS, Session, SessionKind, TrainingClass

SCHOOL_PAGE_TYPES = (CitySchoolPage, TownshipSchoolPage)


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    session_index: int | None = None  # position in the class's session list, when about one session

    def __str__(self):
        return self.message


def session_label(session: Session, index: int) -> str:
    """ "Session 5 “title”", with the kind in brackets when the title is not the kind's own name."""
    args = {"number": index + 1, "title": session.display_title}
    if session.title and session.kind in SessionKind.values:
        args["kind"] = SessionKind(session.kind).label
        return _("Session %(number)s “%(title)s” (%(kind)s)") % args
    return _("Session %(number)s “%(title)s”") % args


def class_days_bounds(training_class: TrainingClass) -> tuple[datetime, datetime]:
    """The class's days as an aware interval: from the first day's midnight to the day after the last."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(training_class.start_date, time.min, tzinfo=tz)
    end = datetime.combine(training_class.end_date + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def point_schools(points) -> dict[int, Page | None]:
    """For many teaching points at once (one query): point id → the live school it belongs to, or
    None. Pass it to `class_violations` when checking many classes."""
    points = [point for point in points if point is not None]
    parent_paths = {point.path[: -Page.steplen] for point in points}
    parents = {
        page.path: page
        for page in Page.objects.filter(path__in=parent_paths, live=True).type(*SCHOOL_PAGE_TYPES)
    }
    return {point.pk: parents.get(point.path[: -Page.steplen]) if point.live else None for point in points}


def teaching_point_school(point, schools: dict | None = None) -> Page | None:
    """The live school a teaching point belongs to, or None."""
    if point is None:
        return None
    if schools is None or point.pk not in schools:
        schools = point_schools([point])
    return schools[point.pk]


def _in_pool(teacher, day: date) -> bool:
    return teacher.active_from <= day.year and (teacher.active_to is None or teacher.active_to >= day.year)


def session_violations(
    session: Session, index: int, training_class: TrainingClass, schools: dict | None = None
) -> list[Violation]:
    label = session_label(session, index)
    found = []
    if session.starts_at and session.ends_at and session.ends_at <= session.starts_at:
        found.append(
            Violation("end_before_start", _("%(session)s ends before it starts.") % {"session": label}, index)
        )
    if training_class.start_date and training_class.end_date and session.starts_at and session.ends_at:
        first, after_last = class_days_bounds(training_class)
        if session.starts_at < first or session.ends_at > after_last:
            found.append(
                Violation(
                    "outside_class_dates",
                    _("%(session)s is outside the class dates (%(start)s to %(end)s).")
                    % {
                        "session": label,
                        "start": date_format(training_class.start_date, "SHORT_DATE_FORMAT"),
                        "end": date_format(training_class.end_date, "SHORT_DATE_FORMAT"),
                    },
                    index,
                )
            )
    if session.kind in TAUGHT_KINDS and not session.teacher_id:
        found.append(
            Violation(
                "no_teacher",
                _("%(session)s needs a teacher from the pool.") % {"session": label},
                index,
            )
        )
    elif (
        session.teacher_id
        and session.starts_at
        and not _in_pool(session.teacher, timezone.localdate(session.starts_at))
    ):
        found.append(
            Violation(
                "teacher_not_in_pool",
                _("%(session)s: %(teacher)s is not in the teacher pool in %(year)s.")
                % {"session": label, "teacher": session.teacher.name, "year": session.starts_at.year},
                index,
            )
        )
    if session.kind == SessionKind.SITE_VISIT:
        if not session.teaching_point_id:
            found.append(
                Violation(
                    "site_visit_without_point",
                    _("%(session)s is a site visit but has no teaching point.") % {"session": label},
                    index,
                )
            )
        elif teaching_point_school(session.teaching_point, schools) is None:
            found.append(
                Violation(
                    "point_without_school",
                    _(
                        "%(session)s: the teaching point “%(point)s” belongs to no school "
                        "(or is not published)."
                    )
                    % {"session": label, "point": session.teaching_point.title},
                    index,
                )
            )
    return found


def class_violations(
    training_class: TrainingClass, sessions: list[Session] | None = None, *, schools: dict | None = None
) -> list[Violation]:
    """Every way the class fails the 5+1+N template, in the order staff would fix them.
    `schools` (from `point_schools`) saves a query per site visit when checking many classes."""
    if sessions is None:
        sessions = list(training_class.sessions.all())
    found = []
    if (
        training_class.start_date
        and training_class.end_date
        and training_class.end_date < training_class.start_date
    ):
        found.append(Violation("class_end_before_start", _("The class's last day is before its first day.")))
    kinds = {session.kind for session in sessions}
    for kind in MANDATORY_KINDS:
        if kind not in kinds:
            found.append(
                Violation(
                    f"missing_{kind}",
                    _("Mandatory item missing: %(item)s.") % {"item": SessionKind(kind).label},
                )
            )
    if not any(session.teaching_point_id for session in sessions):
        found.append(Violation("no_teaching_point", _("No session is held at a teaching point (the “+1”).")))
    for index, session in enumerate(sessions):
        found.extend(session_violations(session, index, training_class, schools))
    return found


def is_compliant(training_class: TrainingClass, sessions: list[Session] | None = None) -> bool:
    return not class_violations(training_class, sessions)

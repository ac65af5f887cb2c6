"""Teaching points as a class's timetable sees them: offered grouped by township (the class's own
first), and the rule that a session at another township's teaching point is allowed but said.

Reads only. The admin's session rows, the save notice and the API's class payload all ask
`point_outside_township` / `outside_township_notices`, so they cannot disagree.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from wagtail.models import Page

from courses.models import TeachingPointPage, TownshipSchoolPage
from lms.scheduling.models import Session, TrainingClass
from lms.scheduling.rules import point_schools, session_label


@dataclass(frozen=True)
class PointNotice:
    """A session held at a teaching point of another township than the class's own."""

    session_index: int
    point: str
    township: str
    message: str  # about the point alone, for the session's own row
    session_message: str  # naming the session, for a list of the whole class


def class_township(school: Page | None) -> Page | None:
    """The township school a class belongs to; None for the city school's classes (they serve every
    township) or a class without a school yet."""
    if school is None:
        return None
    return school if school.specific_class is TownshipSchoolPage else None


def point_outside_township(point_id, *, class_school: Page | None, schools: dict) -> Page | None:
    """The other township school a teaching point belongs to, when it is not the class's own;
    None when it is the class's own, the class is the city school's, or the point has no school
    (that is a 5+1+N violation, reported by `rules`). `schools` comes from `rules.point_schools`."""
    township = class_township(class_school)
    if township is None or not point_id:
        return None
    school = schools.get(int(point_id))
    if school is None or school.pk == township.pk:
        return None
    return school


def notice_text(point: str, township: str) -> str:
    return _("The teaching point “%(point)s” belongs to %(township)s, not to the class's township.") % {
        "point": point,
        "township": township,
    }


def outside_township_notices(
    training_class: TrainingClass, sessions: list[Session] | None = None, *, schools: dict | None = None
) -> list[PointNotice]:
    """Every session of the class held at another township's teaching point, in timetable order."""
    if sessions is None:
        sessions = list(training_class.sessions.select_related("teaching_point"))
    school = training_class.school if training_class.school_id else None
    if class_township(school) is None:
        return []
    at_points = [(index, s) for index, s in enumerate(sessions) if s.teaching_point_id]
    if schools is None:
        schools = point_schools([s.teaching_point for _index, s in at_points])
    notices = []
    for index, session in at_points:
        other = point_outside_township(session.teaching_point_id, class_school=school, schools=schools)
        if other is None:
            continue
        point = session.teaching_point.title
        text = notice_text(point, other.title)
        notices.append(
            PointNotice(
                session_index=index,
                point=point,
                township=other.title,
                message=text,
                session_message=_("%(session)s: %(notice)s")
                % {"session": session_label(session, index), "notice": text},
            )
        )
    return notices


def grouped_point_choices(*, class_school: Page | None) -> tuple[list, dict]:
    """The published teaching points as `<optgroup>` choices, one group per township school (the
    class's own township first, then in page-tree order), and the point → school map that
    `point_outside_township` takes. Two queries, whatever the number of session rows."""
    points = list(TeachingPointPage.objects.live().order_by("path").only("pk", "title", "path", "live"))
    schools = point_schools(points)
    own = class_township(class_school)
    groups: dict[int | None, tuple[str, str, list]] = {}
    for point in points:
        school = schools.get(point.pk)
        key = school.pk if school else None
        if key not in groups:
            title = school.title if school else _("No township school")
            order = "" if own is not None and key == own.pk else (school.path if school else "~")
            groups[key] = (order, title, [])
        groups[key][2].append((point.pk, point.title))
    choices = [("", "---------")]
    choices += [(title, options) for _order, title, options in sorted(groups.values(), key=lambda g: g[0])]
    return choices, schools

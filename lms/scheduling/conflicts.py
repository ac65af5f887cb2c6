"""Double bookings: a teacher in two places at once, a venue or teaching point booked twice, a member
enrolled in two classes that overlap. Each finder returns messages naming the other class.

Intervals are half-open, so a session ending at 10:00 and one starting at 10:00 do not conflict.
Cancelled classes hold no bookings. Drafts do: a draft is a booking being made.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from lms.scheduling.models import ClassStatus, Enrollment, EnrollmentStatus, Session, TrainingClass
from lms.scheduling.rules import class_days_bounds


@dataclass(frozen=True)
class Conflict:
    code: str
    message: str
    other_class_id: int | None = None

    def __str__(self):
        return self.message


def _when(session: Session) -> str:
    start = timezone.localtime(session.starts_at)
    end = timezone.localtime(session.ends_at)
    return f"{date_format(start, 'SHORT_DATE_FORMAT')} {start:%H:%M}–{end:%H:%M}"


def _overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def normalise_venue(venue: str) -> str:
    return "".join(venue.split()).casefold()


def _effective_venue(session: Session, training_class: TrainingClass) -> str:
    """Only sessions not at a teaching point take a room; empty means the class's venue."""
    if session.teaching_point_id:
        return ""
    return normalise_venue(session.venue or training_class.venue)


def _timed(sessions: list[Session]) -> list[Session]:
    return [s for s in sessions if s.starts_at and s.ends_at and s.ends_at > s.starts_at]


def booking_conflicts(training_class: TrainingClass, sessions: list[Session]) -> list[Conflict]:
    """Teacher, teaching-point and venue double bookings of these sessions, against other classes and
    against each other."""
    sessions = _timed(sessions)
    if not sessions or training_class.status == ClassStatus.CANCELLED:
        return []
    teacher_ids = {s.teacher_id for s in sessions if s.teacher_id}
    point_ids = {s.teaching_point_id for s in sessions if s.teaching_point_id}
    venues = {_effective_venue(s, training_class) for s in sessions} - {""}
    window = Q(starts_at__lt=max(s.ends_at for s in sessions), ends_at__gt=min(s.starts_at for s in sessions))
    reach = Q(teacher_id__in=teacher_ids) | Q(teaching_point_id__in=point_ids)
    if venues and training_class.school_id:
        reach |= Q(training_class__school_id=training_class.school_id, teaching_point__isnull=True)
    others = (
        Session.objects.filter(window & reach)
        .exclude(training_class__status=ClassStatus.CANCELLED)
        .select_related("training_class", "teacher", "teaching_point")
        .order_by("starts_at", "id")
    )
    if training_class.pk:
        others = others.exclude(training_class_id=training_class.pk)
    found = []
    seen = set()

    def add(code, message, other_id):
        if (code, message) not in seen:
            seen.add((code, message))
            found.append(Conflict(code, message, other_id))

    for session in sessions:
        candidates = [(other, other.training_class) for other in others]
        candidates += [(other, None) for other in sessions if other is not session]
        for other, other_class in candidates:
            if not _overlaps(session.starts_at, session.ends_at, other.starts_at, other.ends_at):
                continue
            args = {
                "session": session.display_title,
                "other": other.display_title,
                "class": other_class.title if other_class else _("this class"),
                "when": _when(other),
            }
            other_id = other_class.pk if other_class else None
            if session.teacher_id and session.teacher_id == other.teacher_id:
                args["teacher"] = session.teacher.name
                add(
                    "teacher_busy",
                    _(
                        "%(teacher)s cannot teach “%(session)s”: already booked for “%(other)s” "
                        "in “%(class)s” (%(when)s)."
                    )
                    % args,
                    other_id,
                )
            if (
                session.teaching_point_id
                and session.teaching_point_id == other.teaching_point_id
                and other_class
            ):
                args["point"] = session.teaching_point.title
                add(
                    "teaching_point_busy",
                    _(
                        "The teaching point “%(point)s” is already booked for “%(other)s” "
                        "in “%(class)s” (%(when)s)."
                    )
                    % args,
                    other_id,
                )
            venue = _effective_venue(session, training_class)
            if venue and other_class and venue == _effective_venue(other, other_class):
                args["venue"] = session.venue or training_class.venue
                add(
                    "venue_busy",
                    _("The venue “%(venue)s” is already booked for “%(other)s” in “%(class)s” (%(when)s).")
                    % args,
                    other_id,
                )
    return found


def class_intervals(training_class: TrainingClass, sessions: list[Session] | None = None) -> list[tuple]:
    """When a member attending the class is busy: its sessions, or its whole days if it has none yet."""
    if sessions is None:
        sessions = list(training_class.sessions.all())
    timed = _timed(sessions)
    if timed:
        return [(s.starts_at, s.ends_at) for s in timed]
    return [class_days_bounds(training_class)]


def member_conflicts(
    training_class: TrainingClass, member_ids: list[int], sessions: list[Session] | None = None
) -> dict[int, Conflict]:
    """Members (by id) already enrolled in another class that overlaps this one, with the message."""
    if not member_ids:
        return {}
    intervals = class_intervals(training_class, sessions)
    overlap = Q()
    for start, end in intervals:
        overlap |= Q(starts_at__lt=end, ends_at__gt=start)
    busy = (
        Session.objects.filter(overlap)
        .exclude(training_class__status=ClassStatus.CANCELLED)
        .filter(
            training_class__enrollments__member_id__in=member_ids,
            training_class__enrollments__status=EnrollmentStatus.ENROLLED,
        )
        .values_list("training_class__enrollments__member_id", "training_class_id", "training_class__title")
        .order_by("starts_at")
    )
    if training_class.pk:
        busy = busy.exclude(training_class_id=training_class.pk)
    found: dict[int, Conflict] = {}
    for member_id, class_id, title in busy:
        if member_id in found:
            continue
        found[member_id] = Conflict(
            "member_busy",
            _("Already enrolled in “%(class)s” at an overlapping time.") % {"class": title},
            class_id,
        )
    return found


def enrolled_member_conflicts(training_class: TrainingClass, sessions: list[Session]) -> list[Conflict]:
    """When a class's timetable changes: enrolled members it would put in two places at once."""
    if not training_class.pk:
        return []
    member_ids = list(
        Enrollment.objects.filter(
            training_class=training_class, status=EnrollmentStatus.ENROLLED
        ).values_list("member_id", flat=True)
    )
    clashes = member_conflicts(training_class, member_ids, sessions)
    if not clashes:
        return []
    names = dict(Enrollment.objects.filter(member_id__in=clashes).values_list("member_id", "member__name"))
    return [
        Conflict(
            "member_busy", f"{names.get(member_id, member_id)}: {conflict.message}", conflict.other_class_id
        )
        for member_id, conflict in clashes.items()
    ]


def teacher_bookings(starts_at: datetime, ends_at: datetime, *, exclude_class_id: int | None = None):
    """Sessions with a teacher that overlap [starts_at, ends_at), outside cancelled classes and the
    class `exclude_class_id` (the one being edited, whose own clashes are checked on save)."""
    sessions = (
        Session.objects.filter(teacher__isnull=False, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .exclude(training_class__status=ClassStatus.CANCELLED)
        .order_by("starts_at", "id")
    )
    if exclude_class_id:
        sessions = sessions.exclude(training_class_id=exclude_class_id)
    return sessions


def teachers_busy(
    teacher_ids, starts_at: datetime | None, ends_at: datetime | None, *, exclude_class_id: int | None = None
) -> dict[int, Conflict]:
    """For the teacher chooser: which of these teachers already teach between `starts_at` and
    `ends_at`, each with their first booking in words (the other class's name). Same rules as
    `booking_conflicts`: half-open intervals, cancelled classes hold no bookings, drafts do."""
    if not teacher_ids or not starts_at or not ends_at or ends_at <= starts_at:
        return {}
    bookings = teacher_bookings(starts_at, ends_at, exclude_class_id=exclude_class_id).filter(
        teacher_id__in=list(teacher_ids)
    )
    found: dict[int, Conflict] = {}
    for other in bookings.select_related("training_class"):
        if other.teacher_id in found:
            continue
        found[other.teacher_id] = Conflict(
            "teacher_busy",
            _("Teaches “%(other)s” in “%(class)s” (%(when)s).")
            % {"other": other.display_title, "class": other.training_class.title, "when": _when(other)},
            other.training_class_id,
        )
    return found

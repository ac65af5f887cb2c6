"""API routes for the user's own timetable and for training classes: reading one, publishing it
(staff), and joining or leaving it (members)."""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from lms.people.api import Message, ValidationMessage
from lms.people.selectors import member_profile, teacher_profile
from lms.scheduling import rules, selectors, services, teaching_points
from lms.scheduling.models import Enrollment, EnrollmentStatus, Session, TrainingClass

router = Router(tags=["classes"])

DEFAULT_RANGE = timedelta(days=90)
MAX_RANGE = timedelta(days=366)
MIN_YEAR, MAX_YEAR = 2000, 2100  # as /me/hours; beyond, date arithmetic overflows (year 9999)


class ClassRef(Schema):
    id: int
    title: str
    status: str
    status_label: str


class SchoolRef(Schema):
    id: int
    title: str


class SessionOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    address: str
    teacher: str | None
    delivery: str
    delivery_label: str


class MySessionOut(SessionOut):
    training_class: ClassRef
    role: str  # "member" (attends) or "teacher" (teaches)


class ComplianceOut(Schema):
    is_compliant: bool
    violations: list[str]


class ClassOut(Schema):
    id: int
    title: str
    description: str
    school: SchoolRef
    start_date: date
    end_date: date
    venue: str
    capacity: int
    enrolled_count: int
    self_enrolment: bool
    status: str
    status_label: str
    sessions: list[SessionOut]
    compliance: ComplianceOut | None  # only for staff who manage the class
    # Also only for them: allowed but said, e.g. a site visit at another township's teaching point.
    notices: list[str]
    my_enrolment: str | None  # the asking member's enrolment status, if any


class EnrolmentOut(Schema):
    class_id: int
    status: str
    status_label: str


def _session_payload(session: Session) -> dict:
    return {
        "id": session.pk,
        "kind": session.kind,
        "kind_label": str(session.get_kind_display()),
        "title": session.display_title,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "place": session.place,
        "address": session.address,
        "teacher": session.teacher.name if session.teacher_id else None,
        "delivery": session.delivery,
        "delivery_label": str(session.get_delivery_display()),
    }


def _class_ref(training_class: TrainingClass) -> dict:
    return {
        "id": training_class.pk,
        "title": training_class.title,
        "status": training_class.current_status(),
        "status_label": str(training_class.current_status_label()),
    }


def _moment(value: str | None, *, field: str, end: bool) -> datetime | None:
    """An ISO date or datetime from the query string; a date alone means the start of that day, or
    for `to` the end of it. Naive values are in the site's time zone."""
    if not value:
        return None
    value = value.strip().replace(" ", "+")  # an unescaped "+08:00" arrives as " 08:00"
    try:
        day = parse_date(value)
        moment = None if day else parse_datetime(value)
    except ValueError:
        day = moment = None
    if moment is None and day is None:
        raise ValidationError(
            {field: [_("“%(value)s” is not an ISO date or date and time.") % {"value": value}]}
        )
    if not MIN_YEAR <= (day or moment).year <= MAX_YEAR:
        raise ValidationError(
            {field: [_("Give a year from %(first)s to %(last)s.") % {"first": MIN_YEAR, "last": MAX_YEAR}]}
        )
    if day is not None:
        moment = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _window(start: str | None, end: str | None) -> tuple[datetime, datetime]:
    begins = _moment(start, field="from", end=False) or timezone.now()
    ends = _moment(end, field="to", end=True) or begins + DEFAULT_RANGE
    if ends <= begins:
        raise ValidationError({"to": [_("“to” must be after “from” (which is now unless you give it).")]})
    if ends - begins > MAX_RANGE:
        raise ValidationError(
            {"to": [_("Ask for at most %(days)s days at a time.") % {"days": MAX_RANGE.days}]}
        )
    return begins, ends


@router.get(
    "/me/sessions",
    response={200: list[MySessionOut], 400: ValidationMessage},
    tags=["calendar"],
    summary="My sessions, as a member and as a teacher",
)
def my_sessions(
    request,
    start: str | None = Query(None, alias="from", description="ISO date or datetime; default now"),
    end: str | None = Query(
        None, alias="to", description="ISO date (inclusive) or datetime; default +90 days"
    ),
):
    """Sessions of the classes the user is enrolled in and the sessions they teach, in time order,
    at most 366 days at a time. Cancelled classes are left out."""
    begins, ends = _window(start, end)
    teacher = teacher_profile(request.user)
    sessions = selectors.with_school_pages(selectors.user_sessions(request.user, begins, ends))
    return [
        {
            **_session_payload(session),
            "training_class": _class_ref(session.training_class),
            "role": "teacher" if teacher and session.teacher_id == teacher.pk else "member",
        }
        for session in sessions
    ]


def _visible_class(request, class_id: int) -> TrainingClass | None:
    try:
        training_class = selectors.class_detail(class_id)
    except TrainingClass.DoesNotExist:
        return None
    return training_class if selectors.class_visible_to(request.user, training_class) else None


def _not_found():
    return Status(404, {"detail": _("There is no such class, or you may not see it.")})


def _class_payload(request, training_class: TrainingClass) -> dict:
    training_class.school = training_class.school.specific
    sessions = list(training_class.sessions.all())
    for session in sessions:
        session.training_class = training_class
    compliance = None
    notices = []
    if selectors.can_manage_class(request.user, training_class):
        schools = rules.point_schools([s.teaching_point for s in sessions if s.teaching_point_id])
        violations = [str(v) for v in rules.class_violations(training_class, sessions, schools=schools)]
        notices = teaching_points.outside_township_notices(training_class, sessions, schools=schools)
        notices = [notice.session_message for notice in notices]
        compliance = {"is_compliant": not violations, "violations": violations}
    member = member_profile(request.user)
    mine = Enrollment.objects.filter(training_class=training_class, member=member).first() if member else None
    return {
        **_class_ref(training_class),
        "description": training_class.description,
        "school": {"id": training_class.school_id, "title": training_class.school.title},
        "start_date": training_class.start_date,
        "end_date": training_class.end_date,
        "venue": training_class.venue,
        "capacity": training_class.capacity,
        "enrolled_count": training_class.enrolled_count,
        "self_enrolment": training_class.self_enrolment,
        "sessions": [_session_payload(session) for session in sessions],
        "compliance": compliance,
        "notices": notices,
        "my_enrolment": mine.status if mine else None,
    }


@router.get("/classes/{class_id}", response={200: ClassOut, 404: Message}, summary="One training class")
def class_get(request, class_id: int):
    """A class with its sessions. Staff who manage it also get its 5+1+N compliance and what breaks
    it. 404 when the class does not exist or the user may not see it (e.g. another township's draft)."""
    training_class = _visible_class(request, class_id)
    if training_class is None:
        return _not_found()
    return _class_payload(request, training_class)


@router.post(
    "/classes/{class_id}/publish",
    response={200: ClassOut, 400: ValidationMessage, 403: Message, 404: Message},
    summary="Publish a draft class",
)
def class_publish(request, class_id: int):
    """Staff who manage the class publish it; refused (400) with every 5+1+N violation and double
    booking when it has any."""
    training_class = _visible_class(request, class_id)
    if training_class is None:  # missing, or a draft the user may not see: the same answer
        return _not_found()
    try:
        services.training_class_publish(actor=request.user, training_class=training_class)
    except ValidationError as error:
        return Status(400, {"detail": " ".join(error.messages), "errors": {"__all__": error.messages}})
    return _class_payload(request, selectors.class_detail(class_id))


def _enrolment_payload(enrolment: Enrollment) -> dict:
    return {
        "class_id": enrolment.training_class_id,
        "status": enrolment.status,
        "status_label": str(enrolment.get_status_display()),
    }


@router.post(
    "/classes/{class_id}/enrolment",
    response={200: EnrolmentOut, 400: ValidationMessage, 403: Message, 404: Message},
    summary="Join a class",
)
def class_enrol(request, class_id: int):
    """The member joins a class open to them; when it is full they go on the waiting list
    (`status` says which). Joining again returns the place they already have."""
    training_class = _visible_class(request, class_id)
    if training_class is None:
        return _not_found()
    return _enrolment_payload(services.enrolment_self(user=request.user, training_class=training_class))


@router.delete(
    "/classes/{class_id}/enrolment",
    response={200: EnrolmentOut, 400: ValidationMessage, 403: Message, 404: Message},
    summary="Leave a class",
)
def class_withdraw(request, class_id: int):
    """The member withdraws before the class starts; the first member waiting moves up."""
    enrolment = (
        Enrollment.objects.filter(training_class_id=class_id, member__user=request.user)
        .exclude(status=EnrollmentStatus.WITHDRAWN)
        .first()
    )
    if enrolment is None:
        return Status(404, {"detail": _("You are not enrolled in this class.")})
    services.enrolment_withdraw(actor=request.user, enrollment=enrolment)
    enrolment.refresh_from_db(fields=["status"])
    return _enrolment_payload(enrolment)

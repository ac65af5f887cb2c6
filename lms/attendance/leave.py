"""Reads about leave: which sessions a request for one session, one day of a class or the whole class
would cover (the plan, with what is left out and why), the scope in words for members and staff, and
the member's requests shown on "my training". The writes are in `services` (`leave_request_*`)."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Min, Prefetch, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lms.attendance.models import OPEN_LEAVE_STATUSES, LeaveRequest, LeaveScope, LeaveSession, LeaveStatus
from lms.people.models import Member
from lms.scheduling.models import PUBLIC_STATUSES, Enrollment, EnrollmentStatus, Session, TrainingClass
from lms.scheduling.selectors import classes_for_user


def day_words(day: date) -> str:
    return date_format(day, "MONTH_DAY_FORMAT")


def session_words(session: Session) -> str:
    """“1月4日 09:00–10:00 领导干部讲形势”."""
    starts, ends = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    return _("%(day)s %(start)s–%(end)s %(title)s") % {
        "day": day_words(starts.date()),
        "start": starts.strftime("%H:%M"),
        "end": ends.strftime("%H:%M"),
        "title": session.display_title,
    }


def scope_words(scope: str, day: date | None, sessions: list[Session]) -> str:
    """The scope of a request in words: “1月4日全天（4节）”, “整个培训班（12节）” or the one session."""
    count = len(sessions)
    if scope == LeaveScope.SESSION and sessions:
        return session_words(sessions[0])
    if scope == LeaveScope.DAY and day is not None:
        return ngettext(
            "%(day)s, all day (%(count)d session)", "%(day)s, all day (%(count)d sessions)", count
        ) % {"day": day_words(day), "count": count}
    return ngettext("The whole class (%(count)d session)", "The whole class (%(count)d sessions)", count) % {
        "count": count
    }


def leave_words(leave: LeaveRequest) -> str:
    """A request's scope in words, from its covered sessions (prefetched by the selectors below)."""
    return scope_words(leave.scope, leave.day, [covered.session for covered in leave.covered.all()])


def list_words(sessions: list[Session]) -> str:
    return _("; ").join(session_words(session) for session in sessions)


@dataclass
class LeavePlan:
    """What a request would cover: `sessions` (not started yet), `started` (left out), the member's
    open requests already covering some of them (`overlapping`), their pending request with this very
    scope (`same`, whose reason a new submission replaces), and every refusal in words."""

    member: Member | None
    training_class: TrainingClass
    scope: str
    day: date | None = None
    session: Session | None = None
    sessions: list[Session] = field(default_factory=list)
    started: list[Session] = field(default_factory=list)
    overlapping: list[LeaveRequest] = field(default_factory=list)
    same: LeaveRequest | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def words(self) -> str:
        return scope_words(self.scope, self.day, self.sessions or self.started)


def _member_requests(member: Member, training_class: TrainingClass) -> list[LeaveRequest]:
    return list(
        LeaveRequest.objects.filter(member=member, training_class=training_class)
        .prefetch_related(Prefetch("covered", queryset=LeaveSession.objects.select_related("session")))
        .order_by("requested_at", "id")
    )


def leave_plan(
    *,
    member: Member | None,
    training_class: TrainingClass,
    session: Session | None = None,
    day: date | None = None,
    now: datetime | None = None,
) -> LeavePlan:
    """The plan of a request for `session`, for `day` of the class, or (neither) for the whole class."""
    now = now or timezone.now()
    scope = LeaveScope.SESSION if session else LeaveScope.DAY if day else LeaveScope.CLASS
    plan = LeavePlan(member=member, training_class=training_class, scope=scope, day=day, session=session)
    if session is not None:
        candidates = [session]
    else:
        candidates = list(training_class.sessions.order_by("starts_at", "id"))
        if day is not None:
            candidates = [s for s in candidates if timezone.localdate(s.starts_at) == day]
    plan.sessions = [s for s in candidates if s.starts_at > now]
    plan.started = [s for s in candidates if s.starts_at <= now]
    if member is None:
        plan.problems.append(_("Only party members can ask for leave."))
        return plan
    if training_class.status not in PUBLIC_STATUSES:
        plan.problems.append(_("This class is not taking place."))
    if not Enrollment.objects.filter(
        training_class=training_class, member=member, status=EnrollmentStatus.ENROLLED
    ).exists():
        plan.problems.append(_("You are not enrolled in this class."))
    if not candidates:
        plan.problems.append(_("The class has no session on %(day)s.") % {"day": day_words(day)})
    elif not plan.sessions:
        if scope == LeaveScope.SESSION:
            plan.problems.append(_("Leave must be asked for before the session starts."))
        else:
            plan.problems.append(
                _("Every session of %(scope)s has started; leave must be asked for before a session starts.")
                % {"scope": plan.words}
            )
    wanted = {s.pk for s in plan.sessions}
    for leave in _member_requests(member, training_class):
        covered = {c.session_id for c in leave.covered.all()}
        if leave.status not in OPEN_LEAVE_STATUSES or not covered & wanted:
            continue
        if (
            leave.status == LeaveStatus.PENDING
            and (leave.scope, leave.day) == (scope, day)
            and (scope != LeaveScope.SESSION or covered == wanted)
        ):
            plan.same = leave
            continue
        plan.overlapping.append(leave)
    for leave in plan.overlapping:
        plan.problems.append(overlap_words(leave))
    return plan


def overlap_words(leave: LeaveRequest) -> str:
    if leave.status == LeaveStatus.APPROVED:
        message = _("Your leave for %(scope)s is already approved; it covers some of these sessions.")
    else:
        message = _(
            "Your request for %(scope)s, waiting for a decision, already covers some of these sessions."
        )
    return message % {"scope": leave_words(leave)}


# --- Lists -----------------------------------------------------------------------------------------


def covered_prefetch() -> Prefetch:
    return Prefetch(
        "covered",
        queryset=LeaveSession.objects.select_related("session", "session__training_class").order_by(
            "session__starts_at", "session_id"
        ),
    )


def leave_requests_for_staff(user) -> QuerySet[LeaveRequest]:
    """The requests of the classes the user runs, each with its first session's start and its number
    of sessions, and the covered sessions prefetched (for the scope in words)."""
    return (
        LeaveRequest.objects.filter(training_class__in=classes_for_user(user))
        .select_related("member", "member__branch", "training_class", "decided_by")
        .annotate(first_starts_at=Min("covered__session__starts_at"), session_count=Count("covered"))
        .prefetch_related(covered_prefetch())
    )


def member_leave_by_session(member: Member | None, session_ids) -> dict[int, LeaveSession]:
    """The member's latest request per session (one query), for the status shown on each session."""
    if member is None:
        return {}
    rows = (
        LeaveSession.objects.filter(member=member, session_id__in=list(session_ids))
        .select_related("leave")
        .order_by("leave__requested_at", "leave_id")
    )
    return {row.session_id: row for row in rows}

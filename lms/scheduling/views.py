"""Member and teacher pages: "my training" (my classes, the timetable by class and day, leave,
joining and leaving, the calendar link) and the iCalendar feed. Each view reads through selectors
and writes through one service."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from lms import fragments
from lms.attendance.leave import member_leave_by_session
from lms.attendance.models import OPEN_LEAVE_STATUSES, LeaveSession
from lms.people.selectors import member_profile, teacher_profile
from lms.scheduling import ical, selectors, services
from lms.scheduling.models import Enrollment, EnrollmentStatus, Session, TrainingClass

PAST_DAYS = 30  # past sessions shown (collapsed, per day) on "my training"
AHEAD_DAYS = 365  # how far ahead "my training" and the feed look
FEED_PAST_DAYS = 60


@dataclass
class AgendaItem:
    session: Session
    teaching: bool  # the user teaches it (else they attend it as a member)
    started: bool = False
    ended: bool = False
    leave: LeaveSession | None = None  # the member's latest leave request covering it
    elsewhere: bool = True  # not at the day's usual place: the session says where

    @property
    def can_ask_leave(self) -> bool:
        """A member may still ask: not teaching it, not started, no pending or approved request."""
        return (
            not self.teaching
            and not self.started
            and (self.leave is None or self.leave.status not in OPEN_LEAVE_STATUSES)
        )


@dataclass
class AgendaDay:
    day: date
    items: list[AgendaItem]
    today: bool = False
    past: bool = False  # before today: shown collapsed
    place: str = ""  # where every session of the day is (else each session says where)
    address: str = ""

    @property
    def leave_sessions(self) -> int:
        return sum(item.can_ask_leave for item in self.items)

    @property
    def can_ask_leave(self) -> bool:
        """A day's leave is offered when it would cover more than one session (else: per session)."""
        return self.leave_sessions > 1


@dataclass
class AgendaClass:
    training_class: TrainingClass
    days: list[AgendaDay] = field(default_factory=list)

    @property
    def upcoming(self) -> bool:
        return any(not day.past for day in self.days)

    @property
    def next_start(self):
        return min(item.session.starts_at for day in self.days if not day.past for item in day.items)


def agenda(items: list[AgendaItem], now: datetime) -> list[AgendaClass]:
    """The sessions grouped by class, then by day: classes still to come first (by their next day),
    then classes whose days are all past (latest first). Days before today are `past` (collapsed)."""
    today = timezone.localdate(now)
    classes: dict[int, AgendaClass] = {}
    for item in items:
        session = item.session
        item.started, item.ended = session.starts_at <= now, session.ends_at <= now
        group = classes.setdefault(session.training_class_id, AgendaClass(session.training_class))
        day = timezone.localdate(session.starts_at)
        if not group.days or group.days[-1].day != day:
            group.days.append(AgendaDay(day=day, items=[], today=day == today, past=day < today))
        group.days[-1].items.append(item)
    for group in classes.values():
        for day in group.days:
            # Where most of the day's sessions are is said once, under the day; the others say theirs.
            places = Counter((item.session.place, item.session.address) for item in day.items)
            (place, address), count = places.most_common(1)[0]
            if count > 1:
                day.place, day.address = place, address
                for item in day.items:
                    item.elsewhere = (item.session.place, item.session.address) != (place, address)
    upcoming = sorted((g for g in classes.values() if g.upcoming), key=lambda g: g.next_start)
    finished = sorted(
        (g for g in classes.values() if not g.upcoming), key=lambda g: g.days[-1].day, reverse=True
    )
    return upcoming + finished


def _calendar_urls(request, token: str) -> tuple[str, str]:
    feed_url = request.build_absolute_uri(reverse("scheduling:calendar_feed", args=[token]))
    return feed_url, "webcal://" + feed_url.split("://", 1)[1]


@login_required
@require_safe
def my_classes(request):
    """我的培训 (phone first): the member's classes first, then the user's sessions (as member and as
    teacher) grouped by class and by day, past days collapsed and today marked, with leave per
    session, per day and per class; classes open to them; the calendar subscription. The classes,
    timetable and open classes are one cached fragment (lms/fragments.py): signing in elsewhere
    does not change them."""
    user = request.user
    member = member_profile(user)
    teacher = teacher_profile(user)
    feed_url, webcal_url = _calendar_urls(request, services.calendar_token_for(user=user).token)
    return render(
        request,
        "scheduling/my_classes.html",
        {
            "member": member,
            "teacher": teacher,
            "timetable": fragments.cached(
                request, "my_classes", lambda: _my_classes_timetable(request, member, teacher)
            ),
            "feed_url": feed_url,
            "webcal_url": webcal_url,
        },
    )


def _my_classes_timetable(request, member, teacher) -> tuple[str, datetime]:
    """The HTML of the classes, timetable and open classes, and when it stops being true: the next
    session to start or end (leave, "ended") or midnight ("today", classes still to join)."""
    now = timezone.now()
    sessions = selectors.with_school_pages(
        selectors.user_sessions(
            request.user,
            now - timedelta(days=PAST_DAYS),
            now + timedelta(days=AHEAD_DAYS),
            member=member,
            teacher=teacher,
        )
    )
    leave = member_leave_by_session(member, [session.pk for session in sessions])
    items = [
        AgendaItem(
            session,
            teaching=bool(teacher and session.teacher_id == teacher.pk),
            leave=leave.get(session.pk),
        )
        for session in sessions
    ]
    groups = agenda(items, now)
    leave_sessions_by_class = Counter(
        item.session.training_class_id for item in items if member and item.can_ask_leave
    )
    enrolments = selectors.member_current_enrolments(member) if member else []
    for enrolment in enrolments:
        enrolment.can_ask_leave = (
            enrolment.status == EnrollmentStatus.ENROLLED
            and leave_sessions_by_class[enrolment.training_class_id] > 1
        )
    open_classes = selectors.classes_open_to(member) if member else []
    for training_class in open_classes:
        training_class.seats_left = max(training_class.capacity - training_class.enrolled_count, 0)
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(now) + timedelta(days=1), time()))
    until = min(
        (moment for s in sessions for moment in (s.starts_at, s.ends_at) if moment > now), default=midnight
    )
    html = render_to_string(
        "scheduling/my_classes_timetable.html",
        {
            "member": member,
            "teacher": teacher,
            "both_roles": bool(member and teacher),
            "groups": groups,
            "enrolments": enrolments,
            "open_classes": open_classes,
        },
        request,
    )
    return html, min(until, midnight)


def _refusal(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You do not have permission to do this.")


@login_required
@require_POST
def class_join(request, pk: int):
    training_class = get_object_or_404(TrainingClass, pk=pk)
    try:
        enrolment = services.enrolment_self(user=request.user, training_class=training_class)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _refusal(error))
    else:
        if enrolment.status == EnrollmentStatus.WAITLISTED:
            messages.info(
                request,
                _("“%(title)s” is full: you are on the waiting list.") % {"title": training_class.title},
            )
        else:
            messages.success(request, _("You are enrolled in “%(title)s”.") % {"title": training_class.title})
    return redirect("scheduling:my_classes")


@login_required
@require_POST
def class_withdraw(request, pk: int):
    enrolment = get_object_or_404(
        Enrollment.objects.select_related("training_class", "member").exclude(
            status=EnrollmentStatus.WITHDRAWN
        ),
        training_class_id=pk,
        member__user=request.user,
    )
    try:
        services.enrolment_withdraw(actor=request.user, enrollment=enrolment)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(
            request, _("You have withdrawn from “%(title)s”.") % {"title": enrolment.training_class.title}
        )
    return redirect("scheduling:my_classes")


@login_required
@require_POST
def calendar_reset(request):
    services.calendar_token_reset(user=request.user)
    messages.success(
        request,
        _("Your calendar link has been reset and the old one no longer works. Subscribe again."),
    )
    return redirect(reverse("scheduling:my_classes") + "#calendar")


@require_safe
def calendar_feed(request, token: str):
    """The user's timetable as iCalendar; the secret token in the URL is the only credential."""
    user = selectors.calendar_token_user(token)
    if user is None:
        raise Http404(_("No calendar has this link; it may have been reset."))
    now = timezone.now()
    sessions = selectors.with_school_pages(
        selectors.user_sessions(user, now - timedelta(days=FEED_PAST_DAYS), now + timedelta(days=AHEAD_DAYS))
    )
    name = _("My training · %(name)s") % {"name": user.first_name or user.get_username()}
    response = HttpResponse(
        ical.timetable_calendar(sessions, name=name).to_ical(), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="training.ics"'
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex"
    return response

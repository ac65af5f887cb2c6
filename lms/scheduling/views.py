"""Member and teacher pages: "my training" (timetable, classes, joining and leaving, the calendar
link) and the iCalendar feed. Each view reads through selectors and writes through one service."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from lms.people.selectors import member_profile, teacher_profile
from lms.scheduling import ical, selectors, services
from lms.scheduling.models import Enrollment, EnrollmentStatus, Session, TrainingClass

PAST_DAYS = 30  # past sessions shown (collapsed) on "my training"
AHEAD_DAYS = 365  # how far ahead "my training" and the feed look
FEED_PAST_DAYS = 60


@dataclass
class AgendaItem:
    session: Session
    teaching: bool  # the user teaches it (else they attend it as a member)


def _by_day(items: list[AgendaItem]) -> list[tuple[date, list[AgendaItem]]]:
    days: dict[date, list[AgendaItem]] = {}
    for item in items:
        days.setdefault(timezone.localdate(item.session.starts_at), []).append(item)
    return list(days.items())


def _calendar_urls(request, token: str) -> tuple[str, str]:
    feed_url = request.build_absolute_uri(reverse("scheduling:calendar_feed", args=[token]))
    return feed_url, "webcal://" + feed_url.split("://", 1)[1]


@login_required
@require_safe
def my_classes(request):
    """我的培训: the user's sessions by day (as member and as teacher), their classes, classes open
    to them, and the calendar subscription."""
    user = request.user
    member = member_profile(user)
    teacher = teacher_profile(user)
    now = timezone.now()
    sessions = selectors.with_school_pages(
        selectors.user_sessions(user, now - timedelta(days=PAST_DAYS), now + timedelta(days=AHEAD_DAYS))
    )
    items = [
        AgendaItem(session, teaching=bool(teacher and session.teacher_id == teacher.pk))
        for session in sessions
    ]
    open_classes = selectors.classes_open_to(member) if member else []
    for training_class in open_classes:
        training_class.seats_left = max(training_class.capacity - training_class.enrolled_count, 0)
    feed_url, webcal_url = _calendar_urls(request, services.calendar_token_for(user=user).token)
    return render(
        request,
        "scheduling/my_classes.html",
        {
            "member": member,
            "teacher": teacher,
            "both_roles": bool(member and teacher),
            "upcoming_days": _by_day([item for item in items if item.session.ends_at > now]),
            "past_days": _by_day([item for item in reversed(items) if item.session.ends_at <= now]),
            "past_days_count": PAST_DAYS,
            "enrolments": selectors.member_current_enrolments(member) if member else [],
            "open_classes": open_classes,
            "feed_url": feed_url,
            "webcal_url": webcal_url,
        },
    )


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

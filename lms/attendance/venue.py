"""The venue screen and the QR sign-in landing.

Staff who manage a class put the venue screen on the projector: the session, its sign-in window, a
QR code that changes every `ATTENDANCE_QR_SECONDS`, how many have signed in and the latest names.
A member scans the code with the phone's camera, which opens `/checkin/<code>/` with a GET; that
page signs them in (after logging in if needed) and says how it went.

The screen stays live by htmx polling one small fragment every couple of seconds (QR, count and
names in one response; htmx swaps the QR into its own place out of band). Polling rather than a
websocket: it works through any proxy or school firewall that lets a web page through, needs nothing
running beside Django, and a count that changes a few times a second at most is well served by a
request every two seconds. The live classroom brings websockets; a push after the sign-in commits
can replace the polling then.
"""

from datetime import datetime, time, timedelta

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from lms.attendance import credit, qr, selectors, services
from lms.attendance.models import AttendanceStatus
from lms.scheduling.models import Enrollment, EnrollmentStatus, TrainingClass

POLL_SECONDS = 2  # how often the venue screen asks for the QR, the count and the latest names
QR_SCALE = 8

# Refusals for the code itself answer 400 (scan again); every other refusal conflicts with the class
# or the member's place in it and answers 409.
BAD_CODE_REASONS = ("forged", "expired")


def _staff_session(request, pk: int):
    return get_object_or_404(selectors.sessions_for_staff(request.user), pk=pk)


def checkin_url(request, session_id: int) -> str:
    """The absolute URL the QR code encodes now."""
    return request.build_absolute_uri(reverse("attendance:checkin", args=[qr.code_for(session_id)]))


def _live_context(request, session) -> dict:
    url = checkin_url(request, session.pk)
    return {
        "session": session,
        "checkin_url": url,
        "qr_svg": segno.make(url, error="m").svg_inline(scale=QR_SCALE, omitsize=True),
        "count": selectors.session_count(session),
        "enrolled": Enrollment.objects.filter(
            training_class_id=session.training_class_id, status=EnrollmentStatus.ENROLLED
        ).count(),
        "latest": selectors.latest_check_ins(session),
        "qr_seconds": settings.ATTENDANCE_QR_SECONDS,
    }


@login_required
@require_safe
def venue(request, pk: int):
    """The full-screen venue page for one session (404 for anyone who does not manage its class)."""
    session = _staff_session(request, pk)
    return render(
        request,
        "attendance/venue.html",
        {
            **_live_context(request, session),
            "training_class": session.training_class,
            "opens_at": credit.sign_in_opens(session),
            "late_after": credit.late_after(session),
            "poll_seconds": POLL_SECONDS,
        },
    )


@require_safe
def venue_live(request, pk: int):
    """The fragment the venue page polls: count and latest names, and the QR code, which htmx swaps
    into its own place on the screen (out of band)."""
    if not request.user.is_authenticated:
        # htmx would follow a redirect and swap the login page into the screen; send the whole page.
        response = HttpResponse(status=401)
        response["HX-Redirect"] = redirect_to_login(reverse("attendance:venue", args=[pk]))["Location"]
        return response
    session = _staff_session(request, pk)
    return render(request, "attendance/venue_live.html", {**_live_context(request, session), "oob": True})


@login_required
@require_POST
def venue_add_member(request, pk: int):
    """Staff enrol a member who is not on the list, found by phone number, and mark them present."""
    session = _staff_session(request, pk)
    try:
        member = services.attendance_walk_in(
            actor=request.user, session=session, phone=request.POST.get("phone", "")
        )
    except (PermissionDenied, ValidationError) as refused:
        messages.error(request, " ".join(getattr(refused, "messages", [str(refused)])))
        return redirect("attendance:venue", pk=session.pk)
    messages.success(
        request, _("%(name)s was added to the class and marked present.") % {"name": member.name}
    )
    return redirect("attendance:venue", pk=session.pk)


def _keep_logged_in(request, training_class: TrainingClass) -> None:
    """Keep the member logged in at least until the class's last day ends, so the next sessions'
    scans go straight through."""
    last_moment = datetime.combine(
        training_class.end_date + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
    )
    if request.session.get_expiry_date() < last_moment:
        request.session.set_expiry(last_moment)


@login_required
@require_safe
def checkin(request, code: str):
    """Sign in with the code from the venue's screen.

    A GET that writes, on purpose: phone cameras open the scanned URL with a GET, and the sign-in
    service is idempotent (a second scan returns the same record), so reloading is harmless. A member
    who is not logged in is sent to the login page with `next` and lands back here, signed in."""
    try:
        result = services.attendance_check_in(user=request.user, code=code)
    except services.CheckInRefused as refused:
        return render(
            request,
            "attendance/checkin.html",
            {
                "refused": refused,
                "message": refused.messages[0],
                "bad_code": refused.reason in BAD_CODE_REASONS,
            },
            status=400 if refused.reason in BAD_CODE_REASONS else 409,
        )
    record = result.record
    _keep_logged_in(request, record.session.training_class)
    return render(
        request,
        "attendance/checkin.html",
        {
            "record": record,
            "created": result.created,
            "session": record.session,
            "late": record.status == AttendanceStatus.LATE,
            "status_label": AttendanceStatus(record.status).label,
        },
    )

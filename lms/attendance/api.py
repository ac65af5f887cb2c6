"""API routes for signing in with the venue's code and for the user's own yearly hours."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from lms.attendance import selectors, services
from lms.attendance.models import AttendanceRecord, AttendanceStatus
from lms.people.api import Message
from lms.people.selectors import member_profile

router = Router(tags=["attendance"])

# Refusals that are about the state of things (409) rather than a bad code (400).
CONFLICT_REASONS = {"not_enrolled", "too_early", "closed", "cancelled", "not_member"}


class CheckInIn(Schema):
    code: str = Field(..., min_length=1, max_length=200, description="The code from the venue's QR URL")


class RecordOut(Schema):
    id: int
    session_id: int
    session: str
    training_class: str
    status: str
    status_label: str
    source: str
    minutes: int
    checked_in_at: datetime | None
    created: bool = False


class RefusalOut(Schema):
    detail: str
    reason: str


def record_payload(record: AttendanceRecord, created: bool = False) -> dict:
    return {
        "id": record.pk,
        "session_id": record.session_id,
        "session": record.session.display_title,
        "training_class": record.session.training_class.title,
        "status": record.status,
        "status_label": str(AttendanceStatus(record.status).label),  # not get_FOO_display(): see hours_views
        "source": record.source,
        "minutes": record.minutes,
        "checked_in_at": record.checked_in_at,
        "created": created,
    }


@router.post(
    "/attendance/checkin",
    response={200: RecordOut, 400: RefusalOut, 409: RefusalOut},
    summary="Sign in with the venue's code",
)
def check_in(request, payload: CheckInIn):
    """Idempotent: signing in again returns the same record (`created` false). 400 for a forged or
    expired code; 409 when not enrolled, before sign-in opens, after the session, or cancelled."""
    try:
        result = services.attendance_check_in(user=request.user, code=payload.code)
    except services.CheckInRefused as refused:
        status = 409 if refused.reason in CONFLICT_REASONS else 400
        return Status(status, {"detail": refused.messages[0], "reason": refused.reason})
    return record_payload(result.record, result.created)


class LedgerRecordOut(Schema):
    session_id: int
    session: str
    training_class: str
    school: str
    starts_at: datetime
    status: str
    source: str
    minutes: int
    counts: bool


class HoursOut(Schema):
    year: int
    category: str
    required_hours: float
    scope: str
    counted_hours: float
    total_hours: float
    met: bool
    hours_by_source: dict[str, float]
    rotation_met: bool
    last_attended: str | None
    records: list[LedgerRecordOut]


@router.get("/me/hours", response={200: HoursOut, 404: Message}, summary="My training hours in a year")
def my_hours(request, year: int | None = Query(None, ge=2000, le=2100)):
    member = member_profile(request.user)
    if member is None:
        return Status(404, {"detail": _("Only party members have a training-hours ledger.")})
    ledger = selectors.member_ledger(member, year or timezone.localdate().year)
    return {
        "year": ledger.year,
        "category": member.category,
        "required_hours": float(ledger.rule.hours),
        "scope": ledger.rule.scope,
        "counted_hours": round(ledger.counted_minutes / 60, 2),
        "total_hours": round(ledger.total_minutes / 60, 2),
        "met": ledger.met,
        "hours_by_source": {source: round(m / 60, 2) for source, m in ledger.minutes_by_source.items()},
        "rotation_met": ledger.rotation_met,
        "last_attended": ledger.last_attended.isoformat() if ledger.last_attended else None,
        "records": [
            {
                "session_id": r.session_id,
                "session": r.session.display_title,
                "training_class": r.session.training_class.title,
                "school": r.school_title,
                "starts_at": r.session.starts_at,
                "status": r.status,
                "source": r.source,
                "minutes": r.minutes,
                "counts": r.counts,
            }
            for r in ledger.records
        ],
    }

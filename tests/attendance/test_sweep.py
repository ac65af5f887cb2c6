"""The end-of-session sweep: unmarked enrolled members absent, approved leave excused, idempotent;
as a task and as `manage.py close_sessions`."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from lms.attendance import services, tasks
from lms.attendance.models import (
    AttendanceRecord,
    AttendanceSource,
    AttendanceStatus,
    LeaveRequest,
    LeaveSession,
    LeaveStatus,
)
from tests import factories


@pytest.fixture
def class_of_four(held):
    """member_a (will be unmarked), one on approved leave, one with a leave request approved outside
    the decision service (no record yet), one marked present."""
    approved, approved_without_record, present = (
        factories.MemberFactory(branch=held["branch_a"]) for _ in range(3)
    )
    held["enrol"]([approved, approved_without_record, present])
    leave = services.leave_request_submit(
        user=approved.user, session=held["lecture"], reason="生病", now=held["at"](-120)
    )
    services.leave_request_decide(actor=held["staff_a"], leave=leave, approve=True, now=held["at"](-60))
    outside = LeaveRequest.objects.create(
        training_class=held["training_class"],
        member=approved_without_record,
        reason="出差",
        status=LeaveStatus.APPROVED,
    )
    LeaveSession.objects.create(
        leave=outside, session=held["lecture"], member=approved_without_record, status=LeaveStatus.APPROVED
    )
    services.attendance_mark(actor=held["staff_a"], session=held["lecture"], member=present, status="present")
    return {
        **held,
        "approved": approved,
        "approved_without_record": approved_without_record,
        "present": present,
    }


def statuses(session):
    return {r.member_id: (r.status, r.source) for r in AttendanceRecord.objects.filter(session=session)}


def test_sweep_marks_unmarked_absent_and_approved_leave_excused(class_of_four):
    c = class_of_four
    services.attendance_close_ended_sessions(now=c["at"](61))
    assert statuses(c["lecture"]) == {
        c["member_a"].pk: (AttendanceStatus.ABSENT, AttendanceSource.AUTO),
        c["approved"].pk: (AttendanceStatus.EXCUSED, AttendanceSource.LEAVE),
        c["approved_without_record"].pk: (AttendanceStatus.EXCUSED, AttendanceSource.LEAVE),
        c["present"].pk: (AttendanceStatus.PRESENT, AttendanceSource.ROLL_CALL),
    }


def test_sweep_is_idempotent(class_of_four):
    c = class_of_four
    first = services.attendance_close_ended_sessions(now=c["at"](61))
    # The lecture gets two records (member_a and the leave without a record); earlier sessions four each.
    assert first == AttendanceRecord.objects.count() - 2
    changes = sum(r.changes.count() for r in AttendanceRecord.objects.all())
    assert services.attendance_close_ended_sessions(now=c["at"](61)) == 0
    assert services.attendance_close_ended_sessions(now=c["at"](90)) == 0
    assert sum(r.changes.count() for r in AttendanceRecord.objects.all()) == changes


def test_sessions_not_ended_are_left_alone(held):
    services.attendance_close_ended_sessions(now=held["at"](59))
    assert not AttendanceRecord.objects.filter(session=held["lecture"]).exists()


def test_task_closes_ended_sessions(held, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: held["at"](61))
    result = tasks.attendance_sessions_close.enqueue()
    assert AttendanceRecord.objects.get(session=held["lecture"]).status == AttendanceStatus.ABSENT
    assert result.return_value == AttendanceRecord.objects.count()


def test_command_prints_how_many_records_were_written(held):
    out = StringIO()
    call_command("close_sessions", "--now", held["at"](61).isoformat(), stdout=out)
    written = AttendanceRecord.objects.count()
    assert written >= 1
    assert out.getvalue().strip() == f"{written} attendance records written for ended sessions."
    again = StringIO()
    call_command("close_sessions", "--now", held["at"](61).isoformat(), stdout=again)
    assert again.getvalue().strip() == "0 attendance records written for ended sessions."

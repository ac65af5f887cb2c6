"""Leave: a member asks from "my training" for one session, one day of a class or the whole class,
before the sessions start; staff of the class's township approve once (every covered session is
excused) or reject once; overlapping requests and started sessions are refused or left out, in words.

Every test runs on a frozen clock: the class is on Monday 7 and Tuesday 8 December 2026 (Asia/Shanghai),
six one-hour sessions a day from 8:00, and the member asks on Sunday the 6th unless a test moves on."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from lms.attendance import services
from lms.attendance.models import (
    AttendanceRecord,
    AttendanceSource,
    AttendanceStatus,
    LeaveRequest,
    LeaveScope,
    LeaveSession,
    LeaveStatus,
)
from lms.scheduling import services as scheduling
from lms.scheduling.models import SessionKind
from tests import factories
from tests.concurrency import run_at_once
from tests.services import need_postgres

TZ = ZoneInfo("Asia/Shanghai")
MONDAY, TUESDAY = date(2026, 12, 7), date(2026, 12, 8)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def leave_url(session):
    return reverse("attendance:leave_request", args=[session.pk])


def day_url(training_class, day: date):
    return reverse("attendance:leave_request_day", args=[training_class.pk, day.isoformat()])


def class_url(training_class):
    return reverse("attendance:leave_request_class", args=[training_class.pk])


def decide_url(leave):
    return reverse("attendance_leave:decide", args=[leave.pk])


@pytest.fixture
def clock():
    """Sunday 6 December 2026, 9:00 in Beijing, standing still (tests move it with `move_to`)."""
    with time_machine.travel(at(date(2026, 12, 6), 9), tick=False) as traveller:
        yield traveller


@pytest.fixture
def two_days(county, clock):
    """A published class of township A on Monday and Tuesday (6 sessions each, 8:00–14:00), with
    member_a enrolled; published and enrolled the week before."""
    clock.move_to(at(date(2026, 11, 30), 9))
    teacher = factories.TeacherFactory()
    sessions = factories.class_sessions(MONDAY, teacher=teacher, point=county["point_a"]) + [
        *factories.class_sessions(
            TUESDAY, teacher=teacher, point=county["point_a"], kinds=[SessionKind.ELECTIVE] * 6
        )
    ]
    for position, session in enumerate(sessions[6:]):
        session.title = f"选学专题{position + 1}"
    training_class = scheduling.training_class_create(
        actor=None,
        school=county["town_a"],
        title="冬训班",
        start_date=MONDAY,
        end_date=TUESDAY,
        sessions=sessions,
        venue="甲镇党校教室",
    )
    training_class = scheduling.training_class_publish(actor=None, training_class=training_class)
    scheduling.enrolment_add(actor=county["org"], training_class=training_class, members=[county["member_a"]])
    clock.move_to(at(date(2026, 12, 6), 9))
    ordered = list(training_class.sessions.order_by("starts_at"))
    return {
        **county,
        "training_class": training_class,
        "monday": ordered[:6],
        "tuesday": ordered[6:],
        "member": county["member_a"],
    }


def ask(c, *, session=None, day=None, whole=False, reason="村里防汛值班"):
    return services.leave_request_submit(
        user=c["member"].user,
        reason=reason,
        session=session,
        training_class=None if session else c["training_class"],
        day=day,
    )


def covered(leave) -> set[int]:
    return set(leave.covered.values_list("session_id", flat=True))


def ids(sessions) -> set[int]:
    return {s.pk for s in sessions}


def statuses(member) -> dict[int, tuple[str, str]]:
    return {r.session_id: (r.status, r.source) for r in AttendanceRecord.objects.filter(member=member)}


# --- Asking -------------------------------------------------------------------------------------


def test_a_days_leave_covers_every_session_of_that_day_only(two_days):
    leave = ask(two_days, day=MONDAY)
    assert leave.scope == LeaveScope.DAY and leave.day == MONDAY
    assert covered(leave) == ids(two_days["monday"])
    assert set(leave.covered.values_list("status", flat=True)) == {LeaveStatus.PENDING}


def test_a_days_leave_from_the_page_then_shown_on_each_session(client, two_days):
    client.force_login(two_days["member"].user)
    page = client.get(day_url(two_days["training_class"], MONDAY)).content.decode()
    assert 'data-testid="leave-covers"' in page and "12月7日全天（6节）" in page
    response = client.post(day_url(two_days["training_class"], MONDAY), {"reason": "家中有事"})
    assert response.status_code == 302
    assert covered(LeaveRequest.objects.get()) == ids(two_days["monday"])
    body = client.get(reverse("scheduling:my_classes")).content.decode()
    assert body.count('data-testid="leave-status" data-status="pending"') == 6
    # The day is asked for: no per-session or day link left for Monday; Tuesday still offers both.
    assert day_url(two_days["training_class"], MONDAY) not in body
    assert all(leave_url(s) not in body for s in two_days["monday"])
    assert day_url(two_days["training_class"], TUESDAY) in body
    assert leave_url(two_days["tuesday"][0]) in body


def test_my_training_offers_leave_per_session_day_and_class(client, two_days):
    client.force_login(two_days["member"].user)
    body = client.get(reverse("scheduling:my_classes")).content.decode()
    assert leave_url(two_days["monday"][0]) in body
    assert day_url(two_days["training_class"], MONDAY) in body
    assert class_url(two_days["training_class"]) in body


def test_whole_class_covers_every_session_not_started(two_days, clock):
    clock.move_to(at(MONDAY, 10, 30))  # 8:00, 9:00 and 10:00 have started
    leave = ask(two_days, whole=True)
    assert leave.scope == LeaveScope.CLASS and leave.day is None
    assert covered(leave) == ids(two_days["monday"][3:] + two_days["tuesday"])


def test_started_sessions_are_left_out_and_named(client, two_days, clock):
    clock.move_to(at(MONDAY, 9, 30))
    client.force_login(two_days["member"].user)
    page = client.get(day_url(two_days["training_class"], MONDAY)).content.decode()
    left_out = page.split('data-testid="leave-left-out"')[1].split("</ul>")[0]
    assert {f'data-session="{s.pk}"' in left_out for s in two_days["monday"][:2]} == {True}
    assert f'data-session="{two_days["monday"][2].pk}"' not in left_out
    response = client.post(day_url(two_days["training_class"], MONDAY), {"reason": "临时有事"}, follow=True)
    text = response.content.decode()
    assert "12月7日 08:00–09:00" in text and "12月7日 09:00–10:00" in text  # "not included: ..."
    assert covered(LeaveRequest.objects.get()) == ids(two_days["monday"][2:])


def test_a_day_whose_sessions_all_started_is_refused(two_days, clock):
    clock.move_to(at(MONDAY, 13, 5))
    with pytest.raises(ValidationError) as refused:
        ask(two_days, day=MONDAY)
    assert "12月7日全天" in " ".join(refused.value.messages)
    assert not LeaveRequest.objects.exists()


def test_leave_after_the_start_is_refused(client, two_days, clock):
    clock.move_to(at(MONDAY, 8, 5))
    client.force_login(two_days["member"].user)
    response = client.post(leave_url(two_days["monday"][0]), {"reason": "临时有事"})
    assert response.status_code == 200
    assert 'data-testid="leave-refused"' in response.content.decode()
    assert not LeaveRequest.objects.exists()


def test_no_leave_link_once_the_session_has_started(client, two_days, clock):
    clock.move_to(at(MONDAY, 8, 5))
    client.force_login(two_days["member"].user)
    page = client.get(reverse("scheduling:my_classes")).content.decode()
    first, second = two_days["monday"][:2]
    assert f'data-session="{first.pk}"' in page
    assert leave_url(first) not in page
    assert leave_url(second) in page


def test_overlapping_requests_are_refused_in_words(two_days):
    ask(two_days, day=MONDAY)
    with pytest.raises(ValidationError) as refused:
        ask(two_days, whole=True)
    assert "12月7日全天（6节）" in " ".join(refused.value.messages)
    with pytest.raises(ValidationError):
        ask(two_days, session=two_days["monday"][3])
    assert LeaveRequest.objects.count() == 1
    # Tuesday does not overlap.
    assert covered(ask(two_days, day=TUESDAY)) == ids(two_days["tuesday"])


def test_asking_the_same_pending_request_again_replaces_its_reason(two_days):
    first = ask(two_days, day=MONDAY, reason="生病")
    again = ask(two_days, day=MONDAY, reason="生病住院")
    assert again.pk == first.pk and LeaveRequest.objects.get().reason == "生病住院"


def test_after_a_rejection_the_member_may_ask_again(two_days):
    leave = ask(two_days, whole=True)
    services.leave_request_decide(actor=two_days["staff_a"], leave=leave, approve=False)
    assert covered(ask(two_days, day=MONDAY)) == ids(two_days["monday"])


def test_the_database_holds_one_open_request_per_member_and_session(two_days):
    leave = ask(two_days, day=MONDAY)
    other = LeaveRequest.objects.create(
        training_class=two_days["training_class"], member=two_days["member"], scope="class", reason="x"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        LeaveSession.objects.create(leave=other, session=two_days["monday"][0], member=two_days["member"])
    row = LeaveSession(leave=other, session=two_days["monday"][0], member=two_days["member"])
    with pytest.raises(ValidationError) as refused:
        row.validate_constraints()
    assert "leave_one_open" not in " ".join(refused.value.messages)
    assert leave.covered.count() == 6


def test_not_enrolled_member_and_empty_reason_are_refused(client, two_days):
    client.force_login(two_days["member_b"].user)
    response = client.post(class_url(two_days["training_class"]), {"reason": "临时有事"})
    assert 'data-testid="leave-refused"' in response.content.decode()
    client.force_login(two_days["member"].user)
    response = client.post(class_url(two_days["training_class"]), {"reason": "  "})
    assert 'data-testid="leave-refused"' in response.content.decode()
    assert not LeaveRequest.objects.exists()


def test_staff_see_no_leave_link(client, two_days):
    client.force_login(two_days["staff_a"])
    assert 'data-testid="ask-leave' not in client.get(reverse("scheduling:my_classes")).content.decode()


# --- Deciding -----------------------------------------------------------------------------------


def test_approving_once_excuses_every_covered_session(client, two_days):
    leave = ask(two_days, day=MONDAY)
    client.force_login(two_days["staff_a"])
    listing = client.get(reverse("attendance_leave:index")).content.decode()
    assert "12月7日全天（6节）" in listing and "村里防汛值班" in listing
    assert client.post(decide_url(leave), {"decision": "approve"}).status_code == 302
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.APPROVED and leave.decided_by == two_days["staff_a"]
    assert set(leave.covered.values_list("status", flat=True)) == {LeaveStatus.APPROVED}
    excused = (AttendanceStatus.EXCUSED, AttendanceSource.LEAVE)
    assert statuses(two_days["member"]) == {s.pk: excused for s in two_days["monday"]}
    # Every change went through the one writer, which logs it.
    assert all(r.changes.count() == 1 for r in AttendanceRecord.objects.all())
    # Once: a second decision is refused and changes nothing.
    with pytest.raises(ValidationError):
        services.leave_request_decide(actor=two_days["staff_a"], leave=leave, approve=False)


def test_approval_keeps_a_record_of_attending_and_says_so(client, two_days, clock):
    leave = ask(two_days, day=MONDAY)
    clock.move_to(at(MONDAY, 7, 50))
    first = two_days["monday"][0]
    services.attendance_mark(
        actor=two_days["staff_a"], session=first, member=two_days["member"], status="present"
    )
    client.force_login(two_days["staff_a"])
    response = client.post(decide_url(leave), {"decision": "approve"}, follow=True)
    assert f"{two_days['member'].name}在12月7日 08:00–09:00" in response.content.decode()
    assert "保留原记录" in response.content.decode()
    assert statuses(two_days["member"])[first.pk] == (AttendanceStatus.PRESENT, AttendanceSource.ROLL_CALL)
    assert all(
        statuses(two_days["member"])[s.pk][0] == AttendanceStatus.EXCUSED for s in two_days["monday"][1:]
    )


def test_rejecting_once_rejects_all_and_writes_no_record(client, two_days):
    leave = ask(two_days, whole=True)
    client.force_login(two_days["staff_a"])
    client.post(decide_url(leave), {"decision": "reject"})
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.REJECTED
    assert set(leave.covered.values_list("status", flat=True)) == {LeaveStatus.REJECTED}
    assert leave.covered.count() == 12
    assert not AttendanceRecord.objects.exists()
    client.force_login(two_days["member"].user)
    body = client.get(reverse("scheduling:my_classes")).content.decode()
    assert body.count('data-status="rejected"') == 12


def test_another_townships_staff_cannot_see_or_decide(client, two_days):
    leave = ask(two_days, day=MONDAY)
    client.force_login(two_days["staff_b"])
    assert "村里防汛值班" not in client.get(reverse("attendance_leave:index")).content.decode()
    assert client.post(decide_url(leave), {"decision": "approve"}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.leave_request_decide(actor=two_days["staff_b"], leave=leave, approve=True)
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.PENDING and not AttendanceRecord.objects.exists()


def test_the_sweep_excuses_approved_sessions_not_yet_written(two_days, clock):
    leave = ask(two_days, day=TUESDAY)
    LeaveRequest.objects.filter(pk=leave.pk).update(status=LeaveStatus.APPROVED)
    leave.covered.update(status=LeaveStatus.APPROVED)
    services.attendance_close_ended_sessions(now=at(TUESDAY, 15))
    assert {statuses(two_days["member"])[s.pk] for s in two_days["tuesday"]} == {
        (AttendanceStatus.EXCUSED, AttendanceSource.LEAVE)
    }
    assert {statuses(two_days["member"])[s.pk] for s in two_days["monday"]} == {
        (AttendanceStatus.ABSENT, AttendanceSource.AUTO)
    }


# --- Concurrency (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_requests_at_once_make_one(two_days):
    """A double tap and a second phone: a day's and the whole class's request sent together."""
    need_postgres()
    user, training_class = two_days["member"].user, two_days["training_class"]

    def send(i):
        services.leave_request_submit(
            user=user, reason=f"第{i}次", training_class=training_class, day=MONDAY if i % 2 else None
        )

    errors = run_at_once(6, send)
    assert all(isinstance(error, ValidationError) for error in errors), errors
    assert LeaveRequest.objects.count() == 1 and errors
    assert LeaveSession.objects.filter(status=LeaveStatus.PENDING).values("session").distinct().count() == (
        LeaveSession.objects.count()
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_approving_at_once_decide_once(two_days):
    need_postgres()
    leave = ask(two_days, day=MONDAY)
    other = factories.staff_user(two_days["town_a"], "staff_a2")
    staff = [two_days["staff_a"], other]
    errors = run_at_once(
        2, lambda i: services.leave_request_decide(actor=staff[i], leave=leave, approve=True)
    )
    assert len(errors) == 1 and isinstance(errors[0], ValidationError)
    assert AttendanceRecord.objects.filter(member=two_days["member"]).count() == 6
    assert all(r.changes.count() == 1 for r in AttendanceRecord.objects.all())

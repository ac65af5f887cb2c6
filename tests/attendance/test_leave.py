"""Leave: a member asks before the session from "my training"; staff of the class's township approve
(the member is excused) or reject; refusals are shown on the member's page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from lms.attendance.models import (
    AttendanceRecord,
    AttendanceSource,
    AttendanceStatus,
    LeaveRequest,
    LeaveStatus,
)
from lms.scheduling import services as scheduling
from tests import factories


def leave_url(session):
    return reverse("attendance:leave_request", args=[session.pk])


@pytest.fixture
def asked(client, held):
    client.force_login(held["member_a"].user)
    response = client.post(leave_url(held["lecture"]), {"reason": "村里防汛值班"})
    assert response.status_code == 302
    return {**held, "leave": LeaveRequest.objects.get()}


def test_my_training_links_to_ask_for_leave(client, held):
    client.force_login(held["member_a"].user)
    page = client.get(reverse("scheduling:my_classes")).content.decode()
    assert leave_url(held["lecture"]) in page


def test_no_leave_link_once_the_session_has_started(client, held):
    # Today's class from midnight: its first session has started whenever the test runs.
    past = factories.training_class(
        held["town_a"],
        timezone.localdate(),
        teacher=factories.TeacherFactory(),
        point=held["point_a"],
        publish=True,
        hour=0,
    )
    scheduling.enrolment_add(actor=held["org"], training_class=past, members=[held["member_a"]])
    session = past.sessions.order_by("starts_at").first()
    client.force_login(held["member_a"].user)
    page = client.get(reverse("scheduling:my_classes")).content.decode()
    assert f'data-session="{session.pk}"' in page
    assert leave_url(session) not in page
    assert leave_url(held["lecture"]) in page


def test_staff_see_no_leave_link(client, held):
    client.force_login(held["staff_a"])
    assert 'data-testid="ask-leave"' not in client.get(reverse("scheduling:my_classes")).content.decode()


def test_submit_then_approve_excuses_the_member(client, asked):
    assert asked["leave"].status == LeaveStatus.PENDING and asked["leave"].member == asked["member_a"]
    client.force_login(asked["staff_a"])
    listing = client.get(reverse("attendance_leave:index")).content.decode()
    assert "村里防汛值班" in listing
    response = client.post(
        reverse("attendance_leave:decide", args=[asked["leave"].pk]), {"decision": "approve"}
    )
    assert response.status_code == 302
    asked["leave"].refresh_from_db()
    assert asked["leave"].status == LeaveStatus.APPROVED and asked["leave"].decided_by == asked["staff_a"]
    record = AttendanceRecord.objects.get(session=asked["lecture"], member=asked["member_a"])
    assert record.status == AttendanceStatus.EXCUSED and record.source == AttendanceSource.LEAVE


def test_reject_leaves_no_record(client, asked):
    client.force_login(asked["staff_a"])
    client.post(reverse("attendance_leave:decide", args=[asked["leave"].pk]), {"decision": "reject"})
    asked["leave"].refresh_from_db()
    assert asked["leave"].status == LeaveStatus.REJECTED
    assert not AttendanceRecord.objects.exists()
    client.force_login(asked["member_a"].user)
    page = client.get(leave_url(asked["lecture"])).content.decode()
    assert "Rejected" in page or "驳回" in page or "拒绝" in page


def test_another_townships_staff_get_404_and_do_not_see_it(client, asked):
    client.force_login(asked["staff_b"])
    assert "村里防汛值班" not in client.get(reverse("attendance_leave:index")).content.decode()
    response = client.post(
        reverse("attendance_leave:decide", args=[asked["leave"].pk]), {"decision": "approve"}
    )
    assert response.status_code == 404
    asked["leave"].refresh_from_db()
    assert asked["leave"].status == LeaveStatus.PENDING


def test_leave_after_the_start_is_refused(client, held, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: held["at"](5))
    client.force_login(held["member_a"].user)
    response = client.post(leave_url(held["lecture"]), {"reason": "临时有事"})
    assert response.status_code == 200
    assert 'data-testid="leave-refused"' in response.content.decode()
    assert not LeaveRequest.objects.exists()


def test_not_enrolled_member_is_refused(client, held):
    client.force_login(held["member_b"].user)
    response = client.post(leave_url(held["lecture"]), {"reason": "临时有事"})
    assert 'data-testid="leave-refused"' in response.content.decode()
    assert not LeaveRequest.objects.exists()


def test_empty_reason_is_refused(client, held):
    client.force_login(held["member_a"].user)
    response = client.post(leave_url(held["lecture"]), {"reason": "  "})
    assert 'data-testid="leave-refused"' in response.content.decode()
    assert not LeaveRequest.objects.exists()

"""Who may enter a live room, and the attendance its presence credits."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from lms.attendance.models import AttendanceRecord
from lms.classroom import services
from lms.scheduling.models import Delivery
from tests import factories
from tests.attendance.conftest import attend

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(held):
    """`held`'s 12:00–13:00 leader lecture, taught live by a teacher with a login."""
    lecture = held["lecture"]
    teacher_user = factories.UserFactory()
    lecture.teacher.user = teacher_user
    lecture.teacher.save()
    type(lecture).objects.filter(pk=lecture.pk).update(delivery=Delivery.LIVE)
    lecture.refresh_from_db()
    return {**held, "lecture": lecture, "teacher_user": teacher_user}


def at(live, minutes):
    return live["lecture"].starts_at + timedelta(minutes=minutes)


def test_who_may_enter(live):
    lecture = live["lecture"]
    assert services.room_enter(user=live["member_a"].user, session=lecture, now=at(live, 0))[1] == "member"
    assert services.room_enter(user=live["teacher_user"], session=lecture, now=at(live, -60))[1] == "teacher"
    assert services.room_enter(user=live["staff_a"], session=lecture, now=at(live, 0))[1] == "staff"
    assert services.room_enter(user=live["org"], session=lecture, now=at(live, 0))[1] == "staff"
    for outsider in (live["member_b"].user, live["staff_b"], factories.UserFactory()):
        with pytest.raises(PermissionDenied):
            services.room_enter(user=outsider, session=lecture, now=at(live, 0))


def test_members_wait_for_the_room_to_open_and_not_after_the_end(live, settings):
    settings.CLASSROOM_OPENS_MINUTES = 15
    member = live["member_a"].user
    with pytest.raises(PermissionDenied, match="11:45"):
        services.room_enter(user=member, session=live["lecture"], now=at(live, -16))
    services.room_enter(user=member, session=live["lecture"], now=at(live, -15))
    with pytest.raises(PermissionDenied):
        services.room_enter(user=member, session=live["lecture"], now=at(live, 60))


def test_in_person_sessions_have_no_room(held):
    with pytest.raises(PermissionDenied):
        services.room_enter(user=held["member_a"].user, session=held["lecture"])


def test_presence_becomes_minutes_and_status(live, settings):
    settings.CLASSROOM_PRESENT_SHARE = 80
    second = factories.MemberFactory(branch=live["branch_a"])
    live["enrol"]([second])
    room, _role = services.room_enter(user=live["member_a"].user, session=live["lecture"], now=at(live, -5))
    member = live["member_a"].user
    services.presence_set(room=room, user=member, state="present", now=at(live, -5))
    services.presence_set(room=room, user=member, state="away", now=at(live, 20))  # tab hidden
    services.presence_set(room=room, user=member, state="present", now=at(live, 25))
    services.presence_set(room=room, user=member, state=None, now=at(live, 40))  # network drop
    services.presence_set(room=room, user=member, state="present", now=at(live, 42))  # back
    services.presence_set(room=room, user=second.user, state="present", now=at(live, 0))
    services.presence_set(room=room, user=second.user, state=None, now=at(live, 30))

    assert services.room_end(actor=live["teacher_user"], room=room, now=at(live, 60)) == 2
    first = AttendanceRecord.objects.get(session=live["lecture"], member=live["member_a"])
    assert (first.status, first.minutes, first.source) == ("present", 53, "live")  # 60 − 5 away − 2 gone
    other = AttendanceRecord.objects.get(session=live["lecture"], member=second)
    assert (other.status, other.minutes) == ("left_early", 30)
    # Ending again changes nothing.
    assert services.room_end(actor=live["teacher_user"], room=room, now=at(live, 61)) == 2
    assert AttendanceRecord.objects.filter(session=live["lecture"]).count() == 2


def test_a_better_record_is_kept_and_members_cannot_end_the_class(live):
    attend(live["member_a"], live["lecture"])  # signed in at the venue: 60 minutes
    room, _role = services.room_enter(user=live["member_a"].user, session=live["lecture"], now=at(live, 0))
    services.presence_set(room=room, user=live["member_a"].user, state="present", now=at(live, 0))
    with pytest.raises(PermissionDenied):
        services.room_end(actor=live["member_a"].user, room=room, now=at(live, 10))
    services.room_end(actor=live["staff_a"], room=room, now=at(live, 10))
    record = AttendanceRecord.objects.get(session=live["lecture"], member=live["member_a"])
    assert (record.source, record.minutes) == ("qr", 60)
    with pytest.raises(PermissionDenied, match="结束"):
        services.room_enter(user=live["member_a"].user, session=live["lecture"], now=at(live, 11))


def test_staff_read_the_presence_timeline_others_get_404(client, live):
    room, _role = services.room_enter(user=live["member_a"].user, session=live["lecture"], now=at(live, 0))
    member = live["member_a"].user
    services.presence_set(room=room, user=member, state="present", now=at(live, 0), role="member")
    services.presence_set(room=room, user=member, state="away", now=at(live, 30), role="member")
    services.presence_set(room=room, user=member, state=None, now=at(live, 45), role="member")
    services.room_end(actor=live["staff_a"], room=room, now=at(live, 60))
    url = f"/admin/classroom/sessions/{live['lecture'].pk}/timeline/"
    client.force_login(live["staff_a"])
    page = client.get(url).content.decode()
    assert f'data-user="{member.pk}" data-minutes="30"' in page
    assert "left: 0.0%; width: 50.0%" in page and "left: 50.0%; width: 25.0%" in page
    assert "提前离开" in page or "早退" in page  # left early, credited by the live classroom
    roll_call = client.get(f"/admin/attendance/roll-call/sessions/{live['lecture'].pk}/").content.decode()
    assert 'data-testid="timeline-link"' in roll_call and f"/classroom/{live['lecture'].pk}/" in roll_call
    client.force_login(live["staff_b"])
    assert client.get(url).status_code == 404


def test_the_room_page_for_members_and_a_refusal_for_others(client, live):
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=at(live, 0)):
        client.force_login(live["member_a"].user)
        page = client.get(f"/classroom/{live['lecture'].pk}/")
        assert page.status_code == 200 and 'data-role="member"' in page.content.decode()
        assert "lms/classroom.js" in page.content.decode()
        client.force_login(live["member_b"].user)
        refused = client.get(f"/classroom/{live['lecture'].pk}/")
        assert refused.status_code == 403 and "只有本班学员" in refused.content.decode()

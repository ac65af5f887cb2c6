"""Double bookings are refused on save, naming the other class; back-to-back is fine."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from lms.scheduling import services
from lms.scheduling.models import ClassStatus, Enrollment, EnrollmentStatus
from tests import factories

DAY = date(2026, 12, 7)


@pytest.fixture
def booked(county):
    teacher = factories.TeacherFactory(name="王老师")
    first = factories.training_class(
        county["town_a"], DAY, teacher=teacher, point=county["point_a"], title="第一期", venue="报告厅"
    )
    return {**county, "teacher": teacher, "first": first}


def refusal(excinfo) -> str:
    return " ".join(excinfo.value.messages)


def test_teacher_in_two_places_at_once(booked):
    with pytest.raises(ValidationError) as excinfo:
        factories.training_class(
            booked["town_b"], DAY, teacher=booked["teacher"], point=booked["point_b"], title="第二期"
        )
    message = refusal(excinfo)
    assert "王老师" in message and "第一期" in message


def test_teaching_point_double_booked(booked):
    with pytest.raises(ValidationError) as excinfo:
        factories.training_class(
            booked["town_b"], DAY, teacher=factories.TeacherFactory(), point=booked["point_a"], title="第二期"
        )
    assert "第一期" in refusal(excinfo)
    assert booked["point_a"].title in refusal(excinfo)


def test_venue_double_booked_in_the_same_school(booked):
    with pytest.raises(ValidationError) as excinfo:
        factories.training_class(
            booked["town_a"],
            DAY,
            teacher=factories.TeacherFactory(),
            point=booked["point_b"],
            venue=" 报告厅",
            title="第二期",
        )
    assert "报告厅" in refusal(excinfo) and "第一期" in refusal(excinfo)


def test_same_venue_name_in_another_school_is_another_room(booked):
    factories.training_class(
        booked["town_b"], DAY, teacher=factories.TeacherFactory(), point=booked["point_b"], venue="报告厅"
    )


def test_back_to_back_is_not_a_conflict(booked):
    # The first class runs 08:00–14:00; the second starts at 14:00 with the same teacher, point and room.
    second = factories.training_class(
        booked["town_a"], DAY, teacher=booked["teacher"], point=booked["point_a"], venue="报告厅", hour=14
    )
    assert second.pk


def test_cancelled_class_frees_its_bookings(booked):
    services.training_class_cancel(actor=None, training_class=booked["first"], reason="暴雨")
    factories.training_class(booked["town_b"], DAY, teacher=booked["teacher"], point=booked["point_a"])


def test_member_in_two_overlapping_classes(booked):
    services.enrolment_add(actor=booked["org"], training_class=booked["first"], members=[booked["member_a"]])
    other = factories.training_class(
        booked["town_a"],
        DAY,
        teacher=factories.TeacherFactory(),
        point=booked["point_b"],
        hour=12,
        venue="会议室",
    )
    report = services.enrolment_add(actor=booked["org"], training_class=other, members=[booked["member_a"]])
    assert report.enrolled == []
    assert "第一期" in report.refused[0][1]
    later = factories.training_class(
        booked["town_a"],
        DAY,
        teacher=factories.TeacherFactory(),
        point=booked["point_b"],
        hour=14,
        venue="阅览室",
    )
    assert services.enrolment_add(
        actor=booked["org"], training_class=later, members=[booked["member_a"]]
    ).enrolled


def test_moving_a_session_onto_an_enrolled_members_other_class(booked):
    services.enrolment_add(actor=booked["org"], training_class=booked["first"], members=[booked["member_a"]])
    later = factories.training_class(
        booked["town_a"],
        DAY,
        teacher=factories.TeacherFactory(),
        point=booked["point_b"],
        hour=14,
        venue="会议室",
    )
    services.enrolment_add(actor=booked["org"], training_class=later, members=[booked["member_a"]])
    sessions = list(later.sessions.order_by("starts_at"))
    sessions[0].starts_at -= timedelta(hours=1)
    with pytest.raises(ValidationError) as excinfo:
        services.training_class_save(actor=booked["org"], training_class=later, sessions=sessions)
    assert booked["member_a"].name in refusal(excinfo)


def test_waiting_list_moves_up_on_withdrawal(booked):
    training_class = booked["first"]
    training_class.capacity = 1
    services.training_class_save(actor=None, training_class=training_class)
    other = factories.MemberFactory(branch=booked["branch_a"])
    report = services.enrolment_add(
        actor=booked["staff_a"], training_class=training_class, members=[booked["member_a"], other]
    )
    assert [m.pk for m in report.enrolled] == [booked["member_a"].pk]
    assert [m.pk for m in report.waitlisted] == [other.pk]
    first = Enrollment.objects.get(member=booked["member_a"])
    promoted = services.enrolment_withdraw(actor=booked["member_a"].user, enrollment=first)
    assert promoted.member_id == other.pk
    assert Enrollment.objects.get(member=other).status == EnrollmentStatus.ENROLLED


def test_publish_refuses_a_non_compliant_class_and_accepts_a_fixed_one(booked):
    training_class = booked["first"]
    oath = training_class.sessions.get(kind="oath")
    sessions = [s for s in training_class.sessions.order_by("sort_order") if s.pk != oath.pk]
    services.training_class_save(actor=booked["staff_a"], training_class=training_class, sessions=sessions)
    training_class.refresh_from_db()
    assert training_class.is_compliant is False
    with pytest.raises(ValidationError) as excinfo:
        services.training_class_publish(actor=booked["staff_a"], training_class=training_class)
    assert "入党誓词" in refusal(excinfo) or "oath" in refusal(excinfo)
    training_class.refresh_from_db()
    assert training_class.status == ClassStatus.DRAFT
    oath.pk = oath.id = None
    services.training_class_save(
        actor=booked["staff_a"], training_class=training_class, sessions=[*sessions, oath]
    )
    published = services.training_class_publish(actor=booked["staff_a"], training_class=training_class)
    assert published.status == ClassStatus.PUBLISHED and published.is_compliant

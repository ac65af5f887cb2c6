"""Roll call never names a member the staff may not see (issue 14): the service looks ids up only
among the class's members and the members the staff manage; the admin form is tested in
test_roll_call.py."""

import pytest
from django.core.exceptions import ValidationError

from lms.attendance import services
from lms.attendance.models import AttendanceRecord
from tests import factories


def test_another_townships_member_is_an_unknown_id(held):
    stranger = held["member_b"]
    with pytest.raises(ValidationError) as unknown:
        services.attendance_roll_call(
            actor=held["staff_a"], session=held["lecture"], marks={stranger.pk: "present"}
        )
    words = " ".join(unknown.value.messages)
    assert stranger.name not in words and str(stranger.pk) in words
    assert not AttendanceRecord.objects.exists()


def test_own_townships_member_off_the_list_is_named(held):
    neighbour = factories.MemberFactory(branch=held["branch_a"])
    with pytest.raises(ValidationError) as not_enrolled:
        services.attendance_roll_call(
            actor=held["staff_a"], session=held["lecture"], marks={neighbour.pk: "present"}
        )
    assert neighbour.name in " ".join(not_enrolled.value.messages)


def test_the_county_may_mark_any_township_members_enrolment(held):
    """The organisation department manages every township: member_b is known to them."""
    held["enrol"]([held["member_b"]])
    records = services.attendance_roll_call(
        actor=held["org"], session=held["lecture"], marks={held["member_b"].pk: "present"}
    )
    assert [r.member_id for r in records] == [held["member_b"].pk]

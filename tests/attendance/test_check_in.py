"""QR sign-in: the window (early, on time, late, closed), idempotence, refusals, concurrency."""

import pytest

from lms.attendance import qr, services
from lms.attendance.models import AttendanceChange, AttendanceRecord, AttendanceStatus
from lms.scheduling import services as scheduling
from tests import factories
from tests.attendance.conftest import ahead
from tests.concurrency import run_at_once
from tests.services import need_postgres


def check_in(user, session, at):
    return services.attendance_check_in(user=user, code=qr.code_for(session.pk, at=at.timestamp()), now=at)


def refusal(user, session, at, code=None):
    with pytest.raises(services.CheckInRefused) as refused:
        if code is None:
            check_in(user, session, at)
        else:
            services.attendance_check_in(user=user, code=code, now=at)
    return refused.value


def test_on_time_is_present_with_the_full_duration(held):
    result = check_in(held["member_a"].user, held["lecture"], held["at"](-5))
    assert result.created
    assert result.record.status == AttendanceStatus.PRESENT and result.record.minutes == 60


def test_after_the_grace_period_is_late_with_the_minutes_present(held):
    record = check_in(held["member_a"].user, held["lecture"], held["at"](25)).record
    assert record.status == AttendanceStatus.LATE and record.minutes == 35


def test_too_early_and_after_the_end_are_refused(held):
    early = refusal(held["member_a"].user, held["lecture"], held["at"](-31))
    assert early.reason == "too_early" and "11:30" in early.messages[0]
    assert refusal(held["member_a"].user, held["lecture"], held["at"](60)).reason == "closed"
    assert not AttendanceRecord.objects.exists()


def test_scanning_twice_is_the_same_record(held):
    first = check_in(held["member_a"].user, held["lecture"], held["at"](0))
    again = check_in(held["member_a"].user, held["lecture"], held["at"](30))
    assert not again.created and again.record.pk == first.record.pk
    assert again.record.status == AttendanceStatus.PRESENT  # the later scan does not make them late
    assert AttendanceRecord.objects.count() == 1
    assert first.record.changes.count() == 1


def test_not_enrolled_member_gets_a_clear_message(held):
    refused = refusal(held["member_b"].user, held["lecture"], held["at"](0))
    assert refused.reason == "not_enrolled" and held["training_class"].title in refused.messages[0]


def test_expired_and_forged_codes_are_refused(held):
    stale = qr.code_for(held["lecture"].pk, at=held["at"](0).timestamp())
    assert refusal(held["member_a"].user, held["lecture"], held["at"](2), code=stale).reason == "expired"
    assert refusal(held["member_a"].user, held["lecture"], held["at"](0), code="1.2:abc").reason == "forged"


def test_code_for_another_session_signs_in_to_that_session_only(held):
    other = held["training_class"].sessions.get(kind="oath")
    record = check_in(held["member_a"].user, other, held["at"](-120)).record
    assert record.session_id == other.pk
    assert not AttendanceRecord.objects.filter(session=held["lecture"]).exists()


def test_cancelled_class_refuses_sign_in(held):
    with ahead(held["training_class"].start_date):  # called off while it could still be
        scheduling.training_class_cancel(
            actor=held["org"], training_class=held["training_class"], reason="暴雨"
        )
    assert refusal(held["member_a"].user, held["lecture"], held["at"](0)).reason == "cancelled"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_check_ins_of_one_member_make_one_record(held):
    need_postgres()
    user, session, at = held["member_a"].user, held["lecture"], held["at"](0)
    errors = run_at_once(50, lambda i: check_in(user, session, at))
    assert errors == []
    assert AttendanceRecord.objects.filter(session=session).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_members_each_scanning_twice_at_once_makes_one_record_each(held):
    """200 members sign in from 40 threads at once; threads i and i + 20 take the same members in the
    same order, so every member's double scan races their first. Exactly one answer per member says
    created, both name the same record, and each record has one history row. (It was 500 members,
    one scan each, from 20 threads: 40 s in CI, most of it making the members one by one.)"""
    need_postgres()
    training_class, session, at = held["training_class"], held["lecture"], held["at"](0)
    training_class.capacity = 300
    scheduling.training_class_save(actor=None, training_class=training_class)
    members = factories.MemberFactory.create_batch(200, branch=held["branch_a"])
    held["enrol"](members)
    answers = [[] for _ in range(40)]

    def scan(i):
        answers[i] = [check_in(m.user, session, at) for m in members[i % 20 :: 20]]

    errors = run_at_once(40, scan)
    assert errors == []
    results = [result for thread in answers for result in thread]
    assert len(results) == 400
    created = [r.record.member_id for r in results if r.created]
    assert sorted(created) == sorted(m.pk for m in members)  # one "created" per member, no more
    by_member = {}
    for result in results:
        by_member.setdefault(result.record.member_id, set()).add(result.record.pk)
    assert all(len(records) == 1 for records in by_member.values())
    assert AttendanceRecord.objects.filter(session=session).count() == 200
    assert AttendanceChange.objects.filter(record__session=session).count() == 200

"""What a QR sign-in costs the database: the same small number of queries for a member with one
class behind them as for one with years of them, through the service, the phone's page and the API."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lms.attendance import qr
from lms.attendance.models import AttendanceChange, AttendanceRecord, AttendanceStatus
from lms.people.tokens import api_token_issue
from tests import factories
from tests.attendance.conftest import attend


def give_history(county, member, years: int) -> None:
    """A class a year for `years` years before, every session attended."""
    teacher = factories.TeacherFactory(active_from=2000)
    point = factories.teaching_point(county["town_a"])
    today = timezone.localdate()
    for y in range(1, years + 1):
        past = factories.training_class(
            county["town_a"], today - timedelta(days=365 * y), teacher=teacher, point=point, publish=True
        )
        for session in past.sessions.all():
            attend(member, session)


@pytest.fixture
def two_members(held):
    """member_a with no history and a second member with eight years of it, both enrolled."""
    many = factories.MemberFactory(branch=held["branch_a"])
    give_history(held, many, years=8)
    held["enrol"]([many])
    return held, held["member_a"], many


API = "/api/v1/attendance/checkin"


def count(work) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        result = work()
    return len(captured), result


@pytest.mark.django_db
def test_service_queries_are_few_and_do_not_grow_with_history(two_members):
    from lms.attendance import services

    held, few, many = two_members
    at = held["at"](2)
    code = qr.code_for(held["lecture"].pk, at=at.timestamp())
    counts = {}
    for label, member in (("few", few), ("many", many)):
        first_count, first = count(
            lambda m=member: services.attendance_check_in(user=m.user, code=code, now=at)
        )
        again_count, again = count(
            lambda m=member: services.attendance_check_in(user=m.user, code=code, now=at)
        )
        assert first.created and not again.created and again.record.pk == first.record.pk
        assert first.record.status == AttendanceStatus.PRESENT and first.record.minutes == 60
        assert again.record.session.training_class.title == held["training_class"].title
        counts[label] = (first_count, again_count)
    # First scan: the session with the member and enrolment (1), then on PostgreSQL one statement
    # inserting the record and its history row (1); elsewhere the two inserts in a savepoint (4).
    # Repeat: the same read (1), the insert that finds the record there (1, or 4 in a savepoint), a
    # look at the record (1): no lock, no write.
    expected = (2, 3) if connection.vendor == "postgresql" else (5, 6)
    assert counts["few"] == counts["many"] == expected, counts
    assert AttendanceChange.objects.filter(record__session=held["lecture"]).count() == 2


@pytest.mark.django_db
def test_the_phones_page_and_the_api_do_not_grow_with_history(client, two_members):
    held, few, many = two_members
    at = held["at"](2)
    counts = {}
    with time_machine.travel(at, tick=False):
        for label, member in (("few", few), ("many", many)):
            client.force_login(member.user)
            path = reverse("attendance:checkin", args=[qr.code_for(held["lecture"].pk)])
            page_count, response = count(lambda p=path: client.get(p))
            assert response.status_code == 200 and 'data-created="true"' in response.content.decode()
            plaintext, _token = api_token_issue(user=member.user)
            headers = {"Authorization": f"Bearer {plaintext}"}
            body = {"code": qr.code_for(held["lecture"].pk)}
            client.logout()
            client.post(API, body, content_type="application/json", headers=headers)  # token's first use
            api_count, answer = count(
                lambda b=body, h=headers: client.post(API, b, content_type="application/json", headers=h)
            )
            assert answer.status_code == 200 and answer.json()["created"] is False
            counts[label] = (page_count, api_count)
    assert counts["few"] == counts["many"], counts
    assert AttendanceRecord.objects.filter(session=held["lecture"]).count() == 2

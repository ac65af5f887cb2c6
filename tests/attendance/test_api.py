"""The attendance API: POST /api/v1/attendance/checkin with the venue's code (on the real clock) and
GET /api/v1/me/hours."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from lms.attendance import qr
from lms.attendance.models import AttendanceRecord
from lms.scheduling import services as scheduling
from lms.scheduling.models import Enrollment, EnrollmentStatus
from tests import factories
from tests.attendance.conftest import attend
from tests.people.test_api import auth, token_for

CHECKIN = "/api/v1/attendance/checkin"
HOURS = "/api/v1/me/hours"


def class_on(county, day, teacher, hour=8):
    training_class = factories.training_class(
        county["town_a"], day, teacher=teacher, point=county["point_a"], publish=True, hour=hour
    )
    if day < timezone.localdate():  # a finished class takes no enrolments any more: as if enrolled then
        Enrollment.objects.create(
            training_class=training_class, member=county["member_a"], status=EnrollmentStatus.ENROLLED
        )
    else:
        scheduling.enrolment_add(
            actor=county["org"], training_class=training_class, members=[county["member_a"]]
        )
    return training_class


@pytest.fixture
def live(county):
    """A class of township A today whose six one-hour sessions include the one happening now."""
    now = timezone.localtime()
    teacher = factories.TeacherFactory()
    training_class = class_on(county, now.date(), teacher, hour=max(0, min(now.hour - 5, 18)))
    session = training_class.sessions.get(starts_at__lte=now, ends_at__gt=now)
    return {**county, "training_class": training_class, "session": session, "teacher": teacher}


@pytest.fixture
def member_token(client, county):
    return auth(token_for(client, county["member_a"].user.username))


def check_in(client, headers, code):
    return client.post(CHECKIN, {"code": code}, content_type="application/json", **headers)


def test_check_in_now_and_again_is_the_same_record(client, live, member_token):
    response = check_in(client, member_token, qr.code_for(live["session"].pk))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["created"] and body["session_id"] == live["session"].pk
    assert body["status"] in ("present", "late") and body["source"] == "qr" and body["minutes"] > 0
    assert body["training_class"] == live["training_class"].title
    again = check_in(client, member_token, qr.code_for(live["session"].pk)).json()
    assert again["id"] == body["id"] and not again["created"]
    assert AttendanceRecord.objects.filter(member=live["member_a"]).count() == 1


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_late_sign_in_says_late_in_the_members_language_on_the_api_and_the_page(
    client, live, member_token, language
):
    from django.conf import settings
    from django.utils import translation

    from lms.attendance.models import AttendanceStatus

    late = AttendanceRecord(status=AttendanceStatus.LATE)
    with translation.override(language):
        label = str(late.get_status_display())  # what the enum's label must equal
    session = live["session"]
    with time_machine.travel(session.starts_at + timedelta(minutes=30), tick=False):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        body = check_in(client, {**member_token, "HTTP_ACCEPT_LANGUAGE": language}, qr.code_for(session.pk))
        body = body.json()
        assert body["status"] == "late" and body["status_label"] == label
        client.force_login(live["member_a"].user)
        page = client.get(f"/checkin/{qr.code_for(session.pk)}/").content.decode()
    assert 'data-status="late"' in page and f'<span class="badge">{label}</span>' in page


def test_forged_and_expired_codes_are_400_with_a_message(client, live, member_token):
    forged = check_in(client, member_token, "123.456:forged")
    assert forged.status_code == 400
    assert forged.json()["reason"] == "forged" and forged.json()["detail"]
    expired = check_in(client, member_token, qr.code_for(live["session"].pk, at=time.time() - 600))
    assert expired.status_code == 400
    assert expired.json()["reason"] == "expired" and expired.json()["detail"]
    assert not AttendanceRecord.objects.exists()


def test_not_enrolled_is_409_naming_the_class(client, live):
    headers = auth(token_for(client, live["member_b"].user.username))
    response = check_in(client, headers, qr.code_for(live["session"].pk))
    assert response.status_code == 409
    assert response.json()["reason"] == "not_enrolled"
    assert live["training_class"].title in response.json()["detail"]


@pytest.mark.parametrize(("days", "reason"), [(2, "too_early"), (-2, "closed")])
def test_too_early_and_closed_are_409(client, live, member_token, days, reason):
    other = class_on(live, timezone.localdate() + timedelta(days=days), live["teacher"])
    response = check_in(client, member_token, qr.code_for(other.sessions.first().pk))
    assert response.status_code == 409
    assert response.json()["reason"] == reason and response.json()["detail"]


def test_check_in_needs_a_login_and_a_code(client, live, member_token):
    assert check_in(client, {}, qr.code_for(live["session"].pk)).status_code == 401
    assert check_in(client, member_token, "").status_code == 422


def test_my_hours_after_signing_in(client, live, member_token):
    check_in(client, member_token, qr.code_for(live["session"].pk))
    body = client.get(HOURS, **member_token).json()
    year = timezone.localdate().year
    assert body["year"] == year and body["category"] == "ordinary"
    assert body["required_hours"] == 6.0 and body["scope"] == "township"
    assert not body["met"] and body["rotation_met"]
    assert body["counted_hours"] == body["total_hours"] == body["hours_by_source"]["qr"] > 0
    assert [record["session_id"] for record in body["records"]] == [live["session"].pk]
    assert body["records"][0]["counts"] is True
    assert body["last_attended"] == timezone.localdate().isoformat()


def test_my_hours_of_another_year_and_another_school(client, live, member_token, classes):
    city_class = classes(live["city"], timezone.localdate().replace(year=2021, month=5, day=10))
    attend(live["member_a"], city_class.sessions.order_by("starts_at").first())
    body = client.get(HOURS, {"year": 2021}, **member_token).json()
    assert body["year"] == 2021 and body["total_hours"] == 1.0 and body["counted_hours"] == 0.0
    assert body["records"][0]["counts"] is False and body["records"][0]["school"] == live["city"].title


def test_my_hours_refusals(client, live, member_token):
    staff = auth(token_for(client, live["staff_a"].username))
    response = client.get(HOURS, **staff)
    assert response.status_code == 404 and response.json()["detail"]
    assert client.get(HOURS, {"year": 1999}, **member_token).status_code == 422
    assert client.get(HOURS).status_code == 401

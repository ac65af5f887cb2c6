"""The venue screen (staff only, live QR and count, adding a member at the door) and the QR sign-in
landing (login round trip, idempotence, refusals and their status codes, staying logged in)."""

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from lms.attendance import qr, services
from lms.attendance.models import AttendanceRecord, AttendanceStatus
from lms.scheduling.models import Enrollment, EnrollmentStatus
from tests import factories


@pytest.fixture
def live(held, frozen_clock):
    """`held` while its lecture is on: the clock moved to five minutes after it started (ticking)."""
    frozen_clock.move_to(held["at"](5))
    return held


def venue_url(session):
    return reverse("attendance:venue", args=[session.pk])


def live_url(session):
    return reverse("attendance:venue_live", args=[session.pk])


def checkin_path(session, at=None):
    return reverse("attendance:checkin", args=[qr.code_for(session.pk, at=at)])


def in_english(client):
    """Messages are asserted in English (the msgids), which holds whatever the catalogue says."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def encoded_url(html: str) -> str:
    return unescape(re.search(r'data-checkin-url="([^"]+)"', html).group(1))


# --- The venue screen ----------------------------------------------------------------------------


def test_staff_of_the_township_see_the_venue_screen(client, live):
    client.force_login(live["staff_a"])
    response = client.get(venue_url(live["lecture"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert live["training_class"].title in html and "<svg" in html
    assert 'hx-trigger="every 2s"' in html and "vendor/htmx" in html
    assert 'class="topbar"' not in html  # full screen, no site chrome


@pytest.mark.parametrize("who", ["staff_b", "member_a"])
def test_others_get_404(client, live, who):
    client.force_login(getattr(live[who], "user", live[who]))
    assert client.get(venue_url(live["lecture"])).status_code == 404
    assert client.get(live_url(live["lecture"])).status_code == 404


def test_the_live_fragment_carries_a_qr_whose_code_reads_back_to_the_session(client, live):
    client.force_login(live["staff_a"])
    html = client.get(live_url(live["lecture"])).content.decode()
    assert "<svg" in html and 'hx-swap-oob="true"' in html
    url = urlsplit(encoded_url(html))
    assert url.scheme == "http" and url.netloc == "testserver"
    code = re.fullmatch(r"/checkin/([^/]+)/", url.path).group(1)
    assert qr.read_code(code) == live["lecture"].pk


def test_the_live_fragment_count_goes_up_after_a_check_in(client, live, django_assert_max_num_queries):
    client.force_login(live["staff_a"])
    in_english(client)
    assert "0 signed in" in client.get(live_url(live["lecture"])).content.decode()
    services.attendance_check_in(user=live["member_a"].user, code=qr.code_for(live["lecture"].pk))
    with django_assert_max_num_queries(8):  # cost does not depend on how many have signed in
        html = client.get(live_url(live["lecture"])).content.decode()
    assert "1 signed in" in html
    assert live["member_a"].name in html


def test_the_live_fragment_asks_htmx_to_reload_when_logged_out(client, live):
    response = client.get(live_url(live["lecture"]))
    assert response.status_code == 401 and "/login/?next=" in response["HX-Redirect"]


def test_staff_add_a_member_by_phone_and_mark_them_present(client, live):
    newcomer = factories.MemberFactory(branch=live["branch_a"], phone="13900001111")
    client.force_login(live["staff_a"])
    response = client.post(
        reverse("attendance:venue_add_member", args=[live["lecture"].pk]), {"phone": "139 0000 1111"}
    )
    assert response.status_code == 302 and response["Location"] == venue_url(live["lecture"])
    assert Enrollment.objects.get(member=newcomer).status == EnrollmentStatus.ENROLLED
    record = AttendanceRecord.objects.get(member=newcomer, session=live["lecture"])
    assert record.status == AttendanceStatus.PRESENT
    assert newcomer.name in client.get(venue_url(live["lecture"])).content.decode()


def test_staff_cannot_add_a_member_of_another_township(client, live):
    client.force_login(live["staff_a"])
    response = client.post(
        reverse("attendance:venue_add_member", args=[live["lecture"].pk]),
        {"phone": live["member_b"].phone},
        follow=True,
    )
    assert response.status_code == 200
    assert not Enrollment.objects.filter(member=live["member_b"]).exists()
    assert not AttendanceRecord.objects.exists()
    assert len(list(response.context["messages"])) == 1


def test_only_managing_staff_may_add(client, live):
    client.force_login(live["staff_b"])
    response = client.post(
        reverse("attendance:venue_add_member", args=[live["lecture"].pk]), {"phone": live["member_b"].phone}
    )
    assert response.status_code == 404
    assert not Enrollment.objects.filter(member=live["member_b"]).exists()


# --- The check-in landing ------------------------------------------------------------------------


def test_not_logged_in_goes_to_login_and_comes_back(client, live):
    path = checkin_path(live["lecture"])
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert not AttendanceRecord.objects.exists()
    user = live["member_a"].user
    user.set_password("demo")
    user.save()
    logged_in = client.post(response["Location"], {"username": user.username, "password": "demo"})
    assert logged_in.status_code == 302 and logged_in["Location"] == path
    assert client.get(path).status_code == 200
    assert AttendanceRecord.objects.filter(member=live["member_a"]).count() == 1


def test_logged_in_member_is_signed_in_and_a_second_scan_is_the_same_record(client, live):
    client.force_login(live["member_a"].user)
    in_english(client)
    first = client.get(checkin_path(live["lecture"]))
    assert first.status_code == 200
    html = first.content.decode()
    assert "<h1>Signed in</h1>" in html and live["training_class"].title in html
    assert 'data-status="present"' in html
    record = AttendanceRecord.objects.get()
    assert record.status == AttendanceStatus.PRESENT
    again = client.get(checkin_path(live["lecture"]))
    assert again.status_code == 200 and again.context["record"].pk == record.pk
    assert not again.context["created"]
    assert AttendanceRecord.objects.count() == 1


@override_settings(SESSION_COOKIE_AGE=3600)
def test_checking_in_keeps_the_member_logged_in_until_the_class_ends(client, live):
    client.force_login(live["member_a"].user)
    client.get(checkin_path(live["lecture"]))
    last_day = live["training_class"].end_date
    expiry = client.session.get_expiry_date()
    assert timezone.localtime(expiry).date() > last_day
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"]


def test_expired_code_is_a_400_asking_to_scan_again(client, live):
    client.force_login(live["member_a"].user)
    in_english(client)
    old = timezone.now().timestamp() - 3 * settings.ATTENDANCE_QR_SECONDS
    response = client.get(checkin_path(live["lecture"], at=old))
    assert response.status_code == 400
    assert "Scan the code on the screen again" in response.content.decode()
    assert not AttendanceRecord.objects.exists()


def test_forged_code_is_a_400(client, live):
    client.force_login(live["member_a"].user)
    response = client.get(reverse("attendance:checkin", args=[f"{live['lecture'].pk}.1:forged"]))
    assert response.status_code == 400 and response.context["refused"].reason == "forged"


def test_not_enrolled_is_a_409_asking_staff_to_add_them(client, live):
    client.force_login(live["member_b"].user)
    in_english(client)
    response = client.get(checkin_path(live["lecture"]))
    assert response.status_code == 409
    html = unescape(response.content.decode())
    assert "ask the staff at the venue to add you" in html and live["training_class"].title in html


def test_staff_without_a_member_profile_is_a_409(client, live):
    client.force_login(live["staff_a"])
    response = client.get(checkin_path(live["lecture"]))
    assert response.status_code == 409 and response.context["refused"].reason == "not_member"


def test_too_early_is_a_409(client, held, frozen_clock):
    frozen_clock.move_to(held["at"](-180))  # the morning of the class, long before sign-in opens
    client.force_login(held["member_a"].user)
    response = client.get(checkin_path(held["lecture"]))
    assert response.status_code == 409 and response.context["refused"].reason == "too_early"

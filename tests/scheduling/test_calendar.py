"""My training (/me/classes/): timetable, joining and leaving, teachers' bookings; the iCalendar feed."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from lms import fragments
from lms.scheduling import services
from lms.scheduling.models import CalendarToken, Enrollment, EnrollmentStatus, Session, TrainingClass
from tests import factories
from tests.factories import TeacherFactory, UserFactory

MY_CLASSES = "/me/classes/"


def day(offset: int = 7):
    return timezone.localdate() + timedelta(days=offset)


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def teacher(db):
    return TeacherFactory(user=UserFactory(username="teacher1"), name="王讲师")


def a_class(county, teacher, *, town="a", offset=7, publish=True, **fields):
    return factories.training_class(
        county[f"town_{town}"],
        day(offset),
        teacher=teacher,
        point=county[f"point_{town}"],
        publish=publish,
        **fields,
    )


def enrol(county, training_class, *members):
    return services.enrolment_add(actor=county["org"], training_class=training_class, members=list(members))


def session_ids(body: str) -> set[int]:
    import re

    return {int(found) for found in re.findall(r'data-session="(\d+)"', body)}


def shift_into_past(training_class: TrainingClass, days: int) -> None:
    TrainingClass.objects.filter(pk=training_class.pk).update(
        start_date=F("start_date") - timedelta(days=days), end_date=F("end_date") - timedelta(days=days)
    )
    Session.objects.filter(training_class=training_class).update(
        starts_at=F("starts_at") - timedelta(days=days), ends_at=F("ends_at") - timedelta(days=days)
    )


# --- My training ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    assert client.get(MY_CLASSES).url.startswith("/login/?next=/me/classes/")


@pytest.mark.django_db
def test_member_sees_only_their_own_sessions_with_place_address_and_teacher(client, county, teacher):
    county["point_a"].address = "甲镇红色路8号"
    county["point_a"].save_revision().publish()
    mine = a_class(county, teacher, title="甲镇春季班")
    other = a_class(county, teacher, town="b", offset=8, title="乙镇春季班")
    enrol(county, mine, county["member_a"])
    enrol(county, other, county["member_b"])
    client.force_login(county["member_a"].user)
    response = client.get(MY_CLASSES)
    assert response.status_code == 200
    body = response.content.decode()
    assert session_ids(body) == set(mine.sessions.values_list("pk", flat=True))
    assert "甲镇春季班" in body and "乙镇春季班" not in body
    assert "王讲师" in body
    assert county["point_a"].title in body
    assert 'href="geo:0,0?q=%E7%94%B2%E9%95%87' in body and "甲镇红色路8号" in body
    assert response.context["feed_url"].startswith("http://testserver/calendar/")


@pytest.mark.django_db
def test_cancelled_classes_do_not_show(client, county, teacher):
    training_class = a_class(county, teacher, title="将取消的班")
    enrol(county, training_class, county["member_a"])
    services.training_class_cancel(actor=county["org"], training_class=training_class, reason="天气")
    client.force_login(county["member_a"].user)
    body = client.get(MY_CLASSES).content.decode()
    assert "将取消的班" not in body
    assert session_ids(body) == set()


@pytest.mark.django_db
def test_waitlisted_place_is_labelled_and_its_sessions_are_not_in_the_timetable(client, county, teacher):
    training_class = a_class(county, teacher, title="满员班", capacity=1)
    second = factories.MemberFactory(branch=county["branch_a"])
    enrol(county, training_class, county["member_a"])
    enrol(county, training_class, second)
    english(client)
    client.force_login(second.user)
    body = client.get(MY_CLASSES).content.decode()
    assert "满员班" in body and "On the waiting list" in body
    assert session_ids(body) == set()


@pytest.mark.django_db
def test_past_sessions_of_the_last_30_days_are_collapsed(client, county, teacher):
    recent = a_class(county, teacher, title="上周的班")
    old = a_class(county, teacher, offset=8, title="两月前的班")
    enrol(county, recent, county["member_a"])
    enrol(county, old, county["member_a"])
    shift_into_past(recent, 14)
    shift_into_past(old, 70)
    client.force_login(county["member_a"].user)
    body = client.get(MY_CLASSES).content.decode()
    upcoming, _, past = body.partition('data-testid="past"')
    assert session_ids(upcoming) == set()
    assert session_ids(past) == set(recent.sessions.values_list("pk", flat=True))
    assert "<details" in body


@pytest.mark.django_db
def test_teacher_sees_their_bookings(client, county, teacher):
    booked = a_class(county, teacher, title="讲课的班")
    other_teacher = TeacherFactory()
    a_class(county, other_teacher, town="b", title="别人的班")
    english(client)
    client.force_login(teacher.user)
    body = client.get(MY_CLASSES).content.decode()
    taught = set(booked.sessions.filter(teacher=teacher).values_list("pk", flat=True))
    assert session_ids(body) == taught and taught
    assert "讲课的班" in body and "别人的班" not in body
    assert "You teach" in body and "My teaching bookings" in body
    assert "Classes open to you" not in body


@pytest.mark.django_db
def test_member_who_also_teaches_sees_both_labelled(client, county, teacher):
    member = factories.MemberFactory(branch=county["branch_a"], user=teacher.user)
    attended = a_class(county, TeacherFactory(), title="参训的班")
    taught = a_class(county, teacher, town="b", offset=9, title="授课的班")
    enrol(county, attended, member)
    english(client)
    client.force_login(teacher.user)
    body = client.get(MY_CLASSES).content.decode()
    assert "参训的班" in body and "授课的班" in body
    assert "You attend" in body and "You teach" in body
    assert session_ids(body) == set(attended.sessions.values_list("pk", flat=True)) | set(
        taught.sessions.filter(teacher=teacher).values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_home_links_to_my_training(client, county):
    client.force_login(county["member_a"].user)
    assert MY_CLASSES in client.get("/me/").content.decode()


# --- Joining and withdrawing ---------------------------------------------------------------------


@pytest.mark.django_db
def test_member_joins_a_class_open_to_them(client, county, teacher):
    training_class = a_class(county, teacher, title="可报名的班", self_enrolment=True)
    client.force_login(county["member_a"].user)
    body = client.get(MY_CLASSES).content.decode()
    assert f'action="/me/classes/{training_class.pk}/join/"' in body
    response = client.post(f"/me/classes/{training_class.pk}/join/")
    assert response.status_code == 302 and response.url == MY_CLASSES
    enrolment = Enrollment.objects.get(training_class=training_class, member=county["member_a"])
    assert enrolment.status == EnrollmentStatus.ENROLLED
    body = client.get(MY_CLASSES).content.decode()
    assert f'action="/me/classes/{training_class.pk}/withdraw/"' in body
    assert f'action="/me/classes/{training_class.pk}/join/"' not in body


@pytest.mark.django_db
def test_join_is_refused_outside_the_audience_and_once_the_class_started(client, county, teacher):
    other_town = a_class(county, teacher, town="b", title="乙镇班", self_enrolment=True)
    started = a_class(county, TeacherFactory(), offset=0, title="今天的班", self_enrolment=True)
    english(client)
    client.force_login(county["member_a"].user)
    body = client.get(MY_CLASSES).content.decode()
    assert "乙镇班" not in body and "今天的班" not in body
    for training_class in (other_town, started):
        response = client.post(f"/me/classes/{training_class.pk}/join/", follow=True)
        assert "This class is not open for you to join." in response.content.decode()
    assert not Enrollment.objects.filter(member=county["member_a"]).exists()
    assert client.get("/me/classes/1/join/").status_code == 405


@pytest.mark.django_db
def test_member_withdraws_before_the_class_starts(client, county, teacher):
    training_class = a_class(county, teacher)
    enrol(county, training_class, county["member_a"])
    client.force_login(county["member_a"].user)
    response = client.post(f"/me/classes/{training_class.pk}/withdraw/")
    assert response.status_code == 302
    enrolment = Enrollment.objects.get(training_class=training_class, member=county["member_a"])
    assert enrolment.status == EnrollmentStatus.WITHDRAWN
    assert session_ids(client.get(MY_CLASSES).content.decode()) == set()


@pytest.mark.django_db
def test_withdraw_is_refused_once_the_class_started_and_for_other_members(client, county, teacher):
    started = a_class(county, teacher, offset=0)
    enrol(county, started, county["member_a"])
    english(client)
    client.force_login(county["member_a"].user)
    body = client.get(MY_CLASSES).content.decode()
    assert f'action="/me/classes/{started.pk}/withdraw/"' not in body
    response = client.post(f"/me/classes/{started.pk}/withdraw/", follow=True)
    assert "The class has started" in response.content.decode()
    assert Enrollment.objects.get(training_class=started).status == EnrollmentStatus.ENROLLED
    client.force_login(county["member_b"].user)
    assert client.post(f"/me/classes/{started.pk}/withdraw/").status_code == 404


# --- Query count ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_my_training_costs_the_same_for_3_and_12_classes(client, county):
    member = county["member_a"]
    teacher = TeacherFactory(user=member.user)  # both roles: the costliest page
    client.force_login(member.user)

    def add_classes(first: int, count: int):
        for offset in range(first, first + count):
            enrolled = a_class(county, TeacherFactory(), offset=offset)
            enrol(county, enrolled, member)
            a_class(county, teacher, town="b", offset=offset + 40)  # taught
            a_class(county, TeacherFactory(), offset=offset + 80, self_enrolment=True)  # open to join

    def queries() -> int:
        fragments.token_renew()  # the timetable is built, not served from the cache (lms/fragments.py)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(MY_CLASSES).status_code == 200
        return len(captured)

    add_classes(2, 3)
    client.get(MY_CLASSES)  # creates the calendar link
    few = queries()
    add_classes(5, 9)
    page = client.get(MY_CLASSES).content.decode()
    assert page.count('data-testid="enrolment"') == 12 and page.count('data-testid="open-class"') == 12
    assert queries() == few


# --- iCalendar feed ------------------------------------------------------------------------------


def feed_path(user) -> str:
    return f"/calendar/{services.calendar_token_for(user=user).token}.ics"


@pytest.mark.django_db
def test_feed_holds_exactly_the_members_sessions(client, county, teacher):
    mine = a_class(county, teacher, title="我的班")
    other = a_class(county, teacher, town="b", offset=8, title="别人的班")
    cancelled = a_class(county, TeacherFactory(), offset=9, title="取消的班")
    enrol(county, mine, county["member_a"])
    enrol(county, other, county["member_b"])
    enrol(county, cancelled, county["member_a"])
    services.training_class_cancel(actor=county["org"], training_class=cancelled, reason="改期")

    response = client.get(feed_path(county["member_a"].user))  # no login: the token is the key
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"] and calendar["X-WR-CALNAME"]
    events = calendar.walk("VEVENT")
    expected = list(mine.sessions.select_related("teacher").order_by("starts_at"))
    assert [str(e["UID"]) for e in events] == [f"session-{s.pk}@127.0.0.1" for s in expected]
    sign_in, lecture = events[0], next(e for e in events if "王讲师" in str(e["DESCRIPTION"]))
    assert str(sign_in["SUMMARY"]) == f"{expected[0].display_title} · 我的班"
    assert sign_in.decoded("DTSTART") == expected[0].starts_at
    assert sign_in.decoded("DTEND") == expected[0].ends_at
    assert sign_in["DTSTART"].dt.utcoffset() == timedelta(0)
    assert str(sign_in["STATUS"]) == "CONFIRMED"
    assert "我的班" in str(lecture["DESCRIPTION"])
    site_visit = next(e for e in events if county["point_a"].title in str(e.get("LOCATION", "")))
    assert site_visit
    assert "别人的班" not in response.content.decode()


@pytest.mark.django_db
def test_teacher_feed_holds_their_bookings(client, county, teacher):
    booked = a_class(county, teacher)
    calendar = Calendar.from_ical(client.get(feed_path(teacher.user)).content)
    uids = {str(e["UID"]) for e in calendar.walk("VEVENT")}
    assert uids == {f"session-{s.pk}@127.0.0.1" for s in booked.sessions.filter(teacher=teacher)}


@pytest.mark.django_db
def test_unknown_token_is_404(client):
    assert client.get("/calendar/not-a-token.ics").status_code == 404


@pytest.mark.django_db
def test_reset_invalidates_the_old_link(client, county):
    user = county["member_a"].user
    old = feed_path(user)
    assert client.get(old).status_code == 200
    client.force_login(user)
    assert client.get(MY_CLASSES).context["feed_url"].endswith(old)
    response = client.post("/me/calendar/reset/")
    assert response.status_code == 302 and response.url == MY_CLASSES + "#calendar"
    client.logout()
    assert client.get(old).status_code == 404
    new = f"/calendar/{CalendarToken.objects.get(user=user).token}.ics"
    assert new != old and client.get(new).status_code == 200
    client.force_login(user)
    body = client.get(MY_CLASSES).content.decode()
    assert f"http://testserver{new}" in body and f"webcal://testserver{new}" in body

"""我的培训 keeps its timetable in Redis (lms/fragments.py) and shows every change at once: a staff
edit, a bulk update, leave, an enrolment; a sign-in does not rebuild it; each member, language and
device gets their own page with a CSRF token that works."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import CourseLearner
from lms import fragments
from lms.attendance import qr
from lms.attendance import services as attendance
from lms.attendance.models import AttendanceRecord
from lms.scheduling import services
from lms.scheduling.models import CalendarToken, Session, TrainingClass
from tests import factories
from tests.services import need_redis

MY_CLASSES = "/me/classes/"


@pytest.fixture(autouse=True)
def _redis(settings):
    need_redis()
    assert settings.FRAGMENT_CACHE


@pytest.fixture
def booked(county):
    """Member A enrolled in a published class tomorrow; an open class they may still join."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    teacher = factories.TeacherFactory()
    booked = factories.training_class(
        county["town_a"], tomorrow, teacher=teacher, point=county["point_a"], publish=True, title="明天的班"
    )
    services.enrolment_add(actor=county["org"], training_class=booked, members=[county["member_a"]])
    open_class = factories.training_class(
        county["town_a"],
        tomorrow + timedelta(days=7),
        teacher=teacher,
        point=county["point_a"],
        publish=True,
        title="可报名的班",
    )
    TrainingClass.objects.filter(pk=open_class.pk).update(self_enrolment=True, capacity=30)
    return {"class": booked, "open": open_class, "member": county["member_a"]}


def visit(client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(MY_CLASSES)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def member_client(member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def test_the_second_visit_is_served_from_the_cache_and_a_staff_edit_shows_at_once(booked):
    client = member_client(booked["member"])
    first, built = visit(client)
    again, served = visit(client)
    assert _same_but_tokens(again, first)
    assert served < built, (served, built)
    # Staff rename a session (a model save) and move all of them (a bulk UPDATE): both show.
    session = booked["class"].sessions.order_by("starts_at").first()
    session.title = "改过的专题"
    session.save(update_fields=["title"])
    body, rebuilt = visit(client)
    assert "改过的专题" in body and rebuilt > served
    moved = session.starts_at + timedelta(hours=1)
    Session.objects.filter(pk=session.pk).update(starts_at=moved, ends_at=moved + timedelta(hours=1))
    body, queries = visit(client)
    assert timezone.localtime(moved).strftime("%H:%M") in body
    assert queries == rebuilt


def test_a_sign_in_keeps_the_timetable_cached_and_a_session_starting_builds_it_again(booked):
    client = member_client(booked["member"])
    visit(client)
    _body, served = visit(client)
    now = timezone.now()
    with time_machine.travel(now + timedelta(minutes=1), tick=False):
        assert visit(client)[1] == served  # nothing started, ended or turned a day
    with time_machine.travel(now - timedelta(minutes=1), tick=False):
        assert visit(client)[1] > served  # built later than this moment: built again
    session = booked["class"].sessions.order_by("starts_at").first()
    with time_machine.travel(session.starts_at + timedelta(minutes=1), tick=False):
        _body, built = visit(client)
        assert built > served, "a session started, yet served from the cache"
        assert visit(client)[1] == served
        attendance.attendance_check_in(user=booked["member"].user, code=qr.code_for(session.pk))
        assert visit(client)[1] == served, "a sign-in rebuilt the timetable"


def test_leave_and_enrolment_by_the_member_show_at_once(booked):
    client = member_client(booked["member"])
    body, _queries = visit(client)
    assert f'data-testid="open-class" data-class="{booked["open"].pk}"' in body
    response = client.post(f"/me/classes/{booked['open'].pk}/join/", {"csrfmiddlewaretoken": _csrf(body)})
    assert response.status_code == 302
    body, _queries = visit(client)
    assert f'data-testid="open-class" data-class="{booked["open"].pk}"' not in body
    assert "可报名的班" in body  # now among their classes


def test_each_member_language_and_device_gets_their_own_page_with_a_working_token(booked, county):
    own = member_client(booked["member"])
    mine, _queries = visit(own)
    other = factories.MemberFactory(name="别的学员", branch=county["branch_a"])
    theirs, _queries = visit(member_client(other))
    assert "明天的班" in mine and "明天的班" not in theirs
    english = member_client(booked["member"])
    english.cookies["django_language"] = "en"
    assert "My timetable" in visit(english)[0] and "My timetable" not in mine
    # A second phone of the same member (its own CSRF cookie) joins from the cached page.
    phone = Client(enforce_csrf_checks=True)
    phone.force_login(booked["member"].user)
    visit(phone)  # sets the phone's CSRF cookie
    body, _queries = visit(phone)
    token = _csrf(body)
    assert token != _csrf(mine) and fragments.CSRF_PLACEHOLDER not in body
    response = phone.post(f"/me/classes/{booked['open'].pk}/join/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302, response.status_code


@pytest.mark.django_db(transaction=True)
def test_a_write_renews_the_token_at_once_and_again_at_commit():
    with transaction.atomic():
        Session.objects.filter(pk=-1).update(title="批量改名")  # a bulk write, even of no row
        renewed = fragments.cache.get(fragments.TOKEN_KEY)
        Session.objects.filter(pk=-2).update(title="再改")  # once per transaction until it commits
        assert fragments.cache.get(fragments.TOKEN_KEY) == renewed
        fragments.cache.set(fragments.TOKEN_KEY, "built-before-the-commit", None)
    assert fragments.cache.get(fragments.TOKEN_KEY) not in {renewed, "built-before-the-commit"}
    # A rolled-back write renews it only once; reads and unwatched tables (a sign-in's attendance
    # record) leave it alone.
    with transaction.atomic():
        Session.objects.filter(pk=-1).update(title="撤销")
        renewed = fragments.cache.get(fragments.TOKEN_KEY)
        transaction.set_rollback(True)
    assert fragments.cache.get(fragments.TOKEN_KEY) == renewed
    Session.objects.filter(pk=-1).values_list("pk").first()
    AttendanceRecord.objects.filter(pk=-1).update(minutes=1)
    CalendarToken.objects.filter(pk=-1).update(token="x")  # a first visit writes the calendar link
    CourseLearner.objects.filter(pk=-1).update(last_seen_at=timezone.now())  # studying online
    assert fragments.cache.get(fragments.TOKEN_KEY) == renewed


def _same_but_tokens(one: str, other: str) -> bool:
    return fragments.CSRF_VALUE.sub("", one) == fragments.CSRF_VALUE.sub("", other)


def _csrf(body: str) -> str:
    found = fragments.CSRF_VALUE.search(body)
    assert found, "no form with a CSRF token"
    return body[found.start(0) :].split('value="', 1)[1].split('"', 1)[0]

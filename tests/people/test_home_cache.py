"""The home page's profile card is a cached fragment (lms/fragments.py): served from Redis on the next
visit, and any change to what it shows (a member's branch, a township's name, a role, a staff scope,
the superuser flag) shows at once; a sign-in leaves it cached; each member and language has their own."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from courses.models import TownshipSchoolPage
from lms.attendance import qr
from lms.attendance import services as attendance
from lms.attendance.models import AttendanceRecord
from lms.people import services as people
from lms.people.models import Member
from lms.people.roles import Role
from lms.scheduling import services as scheduling
from tests import factories
from tests.services import need_redis

pytestmark = pytest.mark.django_db
HOME = "/me/"
PROFILE = re.compile(r'<section class="card profile".*?</section>', re.S)


@pytest.fixture(autouse=True)
def _redis(settings):
    need_redis()
    assert settings.FRAGMENT_CACHE


def visit(client) -> tuple[str, bool]:
    """The profile card, and whether this answer built it (else it came from the cache)."""
    response = client.get(HOME)
    assert response.status_code == 200
    built = "people/home_profile.html" in [template.name for template in response.templates]
    return PROFILE.search(response.content.decode()).group(0), built


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_served_from_the_cache_until_what_it_shows_is_written(county):
    member = county["member_a"]
    client = signed_in(member.user)
    first, built = visit(client)
    again, rebuilt = visit(client)
    assert built and not rebuilt and again == first
    assert county["branch_a"].name in first and county["town_a"].title in first

    Member.objects.filter(pk=member.pk).update(branch=county["branch_b"])  # a bulk move, no signal
    moved, built = visit(client)
    assert built and county["branch_b"].name in moved and county["town_b"].title in moved
    assert visit(client) == (moved, False)

    town = TownshipSchoolPage.objects.get(pk=county["town_b"].pk)
    town.title = "改名的镇党校"
    town.save(update_fields=["title"])
    assert "改名的镇党校" in visit(client)[0]


def test_roles_scopes_and_the_superuser_flag_show_at_once(county):
    user = county["member_a"].user
    client = signed_in(user)
    assert 'href="/admin/"' not in visit(client)[0]
    people.staff_scope_grant(user=user, school=county["town_a"])
    people.role_grant(user=user, role=Role.TOWNSHIP_STAFF)
    client = signed_in(user)  # a fresh login: the roles come with the session's user
    card = visit(client)[0]
    assert 'href="/admin/"' in card and county["town_a"].title in card

    other = county["member_b"].user
    other_client = signed_in(other)
    assert 'href="/admin/"' not in visit(other_client)[0]
    type(other).objects.filter(pk=other.pk).update(is_superuser=True)  # auth_user is not watched
    assert 'href="/admin/"' in visit(signed_in(other))[0]


def test_a_sign_in_keeps_it_cached_and_each_member_and_language_has_their_own(county):
    member = county["member_a"]
    training = factories.training_class(
        county["town_a"],
        timezone.localdate(),
        teacher=factories.TeacherFactory(),
        point=county["point_a"],
        publish=True,
    )
    scheduling.enrolment_add(actor=county["org"], training_class=training, members=[member])
    session = training.sessions.order_by("starts_at").first()
    with time_machine.travel(session.starts_at + timedelta(minutes=1), tick=False):
        client = signed_in(member.user)
        visit(client)
        assert visit(client)[1] is False
        attendance.attendance_check_in(user=member.user, code=qr.code_for(session.pk))
        assert AttendanceRecord.objects.filter(member=member, session=session).exists()
        assert visit(client)[1] is False, "a sign-in rebuilt the profile card"

    assert county["branch_b"].name in visit(signed_in(county["member_b"].user))[0]
    english = signed_in(member.user)
    english.cookies["django_language"] = "en"
    assert "Township school" in visit(english)[0] and "Township school" not in visit(client)[0]

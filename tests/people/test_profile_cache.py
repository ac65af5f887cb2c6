"""The request's user with their profiles comes from the cache, under a key made of the rows' versions
(lms.people.backends): one small query per request, and any change to the user, their member or
teacher profile, their branch or their township school is seen on the very next request, however it
was written (`save()`, `update()`), deactivation and password changes included.

Transactional tests: inside a transaction the versions do not move between two writes, so there the
backend never uses the cache (the last test checks that)."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from courses.models import TownshipSchoolPage
from lms.people.backends import KEY_PREFIX, ProfileBackend
from lms.people.models import Branch, Member, Teacher
from lms.people.selectors import member_profile, teacher_profile
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
BACKEND = "lms.people.backends.ProfileBackend"


def load(user_id):
    """The backend's user and the number of queries it took."""
    with CaptureQueriesContext(connection) as captured:
        user = ProfileBackend().get_user(user_id)
        if user is not None:  # the profiles come with it, from the cache too
            member_profile(user)
            teacher_profile(user)
    return user, len(captured)


def session_request(user):
    """A request carrying a logged-in session of `user`, as the middleware would see it."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    request = RequestFactory().get("/me/")
    request.session = SessionStore(session.session_key)
    return request


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # a key of an earlier test's flushed rows must not meet this test's ids
    yield
    cache.clear()


def test_the_second_request_takes_one_small_query_and_the_same_profiles(county):
    member = county["member_a"]
    first, first_queries = load(member.user_id)
    again, again_queries = load(member.user_id)
    assert first_queries == 2  # the rows' versions, then the user with the profiles
    assert again_queries == 1  # the versions only
    assert again is not first
    assert member_profile(again) == member
    assert member_profile(again).branch.name == "甲村党支部"
    assert member_profile(again).branch.township.title == county["town_a"].title
    assert teacher_profile(again) is None


def test_two_users_never_get_each_others_user(county):
    a, b = county["member_a"], county["member_b"]
    for _ in range(2):
        user_a, _queries = load(a.user_id)
        user_b, _queries = load(b.user_id)
        assert (user_a.pk, member_profile(user_a)) == (a.user_id, a)
        assert (user_b.pk, member_profile(user_b)) == (b.user_id, b)
        assert member_profile(user_b).branch.township == county["town_b"]


def test_deactivation_by_update_is_seen_on_the_next_request(county):
    user = county["member_a"].user
    request = session_request(user)
    assert get_user(request).pk == user.pk
    assert get_user(session_request(user)).pk == user.pk  # from the cache now
    type(user).objects.filter(pk=user.pk).update(is_active=False)  # no save(), no signal
    assert ProfileBackend().get_user(user.pk) is None
    assert isinstance(get_user(session_request(user)), AnonymousUser)


def test_a_password_change_ends_other_sessions_on_their_next_request(county):
    user = county["member_a"].user
    request = session_request(user)
    assert get_user(request).pk == user.pk
    load(user.pk)  # cached with the old password
    user.set_password("Dangxiao-2026-new")
    type(user).objects.filter(pk=user.pk).update(password=user.password)
    assert isinstance(get_user(request), AnonymousUser)  # the session's hash no longer matches


def test_a_new_branch_a_renamed_branch_and_township_are_seen(county):
    member = county["member_a"]
    load(member.user_id)
    Member.objects.filter(pk=member.pk).update(branch=county["branch_b"])
    user, queries = load(member.user_id)
    assert queries == 2
    assert member_profile(user).branch == county["branch_b"]
    load(member.user_id)
    Branch.objects.filter(pk=county["branch_b"].pk).update(name="乙村新党支部")
    assert member_profile(load(member.user_id)[0]).branch.name == "乙村新党支部"
    TownshipSchoolPage.objects.filter(pk=county["town_b"].pk).update(title="乙镇新党校")  # the page row
    assert member_profile(load(member.user_id)[0]).branch.township.title == "乙镇新党校"


def test_a_teacher_profile_created_or_removed_is_seen(county):
    member = county["member_a"]
    assert teacher_profile(load(member.user_id)[0]) is None
    teacher = factories.TeacherFactory(user=member.user)
    assert teacher_profile(load(member.user_id)[0]) == teacher
    Teacher.objects.filter(pk=teacher.pk).delete()
    assert teacher_profile(load(member.user_id)[0]) is None


def test_a_user_without_profiles_and_an_unknown_user(county):
    staff = county["org"]
    user, _queries = load(staff.pk)
    user, queries = load(staff.pk)
    assert (user.pk, member_profile(user), teacher_profile(user), queries) == (staff.pk, None, None, 1)
    assert load(10**9)[0] is None


def test_the_key_is_the_users_id_and_the_rows_versions(county):
    member = county["member_a"]
    load(member.user_id)
    cached, key = ProfileBackend._cached_user(member.user_id)
    assert key.startswith(f"{KEY_PREFIX}:{member.user_id}:")
    assert member_profile(cached) == member
    Member.objects.filter(pk=member.pk).update(name="改名")
    cached, new_key = ProfileBackend._cached_user(member.user_id)
    assert (cached, new_key != key) == (None, True)


def test_inside_a_transaction_the_user_always_comes_from_the_database(county):
    member = county["member_a"]
    load(member.user_id)
    with transaction.atomic():
        Member.objects.filter(pk=member.pk).update(branch=county["branch_b"])
        user, queries = load(member.user_id)
        assert queries == 1  # the plain query, no versions asked
        assert member_profile(user).branch == county["branch_b"]
        Member.objects.filter(pk=member.pk).update(branch=county["branch_a"])
        assert member_profile(load(member.user_id)[0]).branch == county["branch_a"]

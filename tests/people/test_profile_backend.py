"""Each request's user comes with their member and teacher profiles (lms.people.backends): the profile
selectors then ask the database nothing more, and a sign-in through the login page uses that backend."""

import pytest
from django.contrib.auth import SESSION_KEY, get_user
from django.test import RequestFactory
from wagtail.models import APIToken

from lms.classroom.models import Terminal
from lms.classroom.selectors import terminal_of
from lms.people.backends import ProfileBackend
from lms.people.roles import Role
from lms.people.selectors import is_staff_user, member_profile, teacher_profile, user_roles
from lms.people.tokens import api_token_user
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_members_profiles_come_with_the_user(county, django_assert_num_queries):
    member = county["member_a"]
    with django_assert_num_queries(1):
        user = ProfileBackend().get_user(member.user_id)
        assert member_profile(user) == member
        assert member_profile(user).branch.township == county["town_a"]
        assert teacher_profile(user) is None


def test_a_teacher_without_member_profile_costs_no_more_queries(django_assert_num_queries):
    teacher = factories.TeacherFactory(user=factories.UserFactory())
    with django_assert_num_queries(1):
        user = ProfileBackend().get_user(teacher.user_id)
        assert member_profile(user) is None
        assert teacher_profile(user) == teacher


def test_roles_and_terminal_come_with_the_user_and_match_the_groups(county, django_assert_num_queries):
    staff, member = county["staff_a"], county["member_a"].user
    screen = factories.UserFactory()
    Terminal.objects.create(user=screen, name="甲镇分课堂", township=county["town_a"])
    for user_id, roles, staff_user, terminal in [
        (staff.pk, {Role.TOWNSHIP_STAFF}, True, None),
        (member.pk, {Role.MEMBER}, False, None),
        (screen.pk, set(), False, screen.pk),
    ]:
        from_groups = user_roles(type(staff).objects.get(pk=user_id))  # asks for the user's groups
        with django_assert_num_queries(1):
            user = ProfileBackend().get_user(user_id)
            assert user_roles(user) == from_groups == roles
            assert is_staff_user(user) is staff_user
            assert (terminal_of(user).user_id if terminal_of(user) else None) == terminal


def test_users_loaded_elsewhere_still_find_their_profiles(county):
    """A user from a plain query (an older session's ModelBackend, a websocket, a task) is looked up."""
    user = type(county["member_a"].user).objects.get(pk=county["member_a"].user_id)
    assert member_profile(user) == county["member_a"]
    assert teacher_profile(user) is None


def test_an_inactive_user_is_not_loaded(county):
    user = county["member_a"].user
    user.is_active = False
    user.save()
    assert ProfileBackend().get_user(user.pk) is None


def test_signing_in_on_the_login_page_uses_the_profile_backend(client, county):
    user = county["member_a"].user
    user.set_password("Dangxiao-2026")
    user.save()
    response = client.post("/login/", {"username": user.username, "password": "Dangxiao-2026"})
    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == "lms.people.backends.ProfileBackend"
    request = RequestFactory().get("/me/")
    request.session = client.session
    assert request.session[SESSION_KEY] == str(user.pk)
    assert member_profile(get_user(request)) == county["member_a"]


def test_a_bearer_token_brings_the_users_profiles_too(county, django_assert_num_queries):
    raw = APIToken.create_token(user=county["member_a"].user, name="phone")[1]
    api_token_user(raw)  # marks the token used (an UPDATE), not counted below
    with django_assert_num_queries(1):
        user = api_token_user(raw)
        assert member_profile(user).branch.township == county["town_a"]
        assert teacher_profile(user) is None

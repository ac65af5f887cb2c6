"""lms.compiled: a query compiled once gives the objects the ORM gives, binds new values on each call,
asks the database once per call, and refuses slots whose value the ORM changes on the way to SQL."""

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from wagtail.models import APIToken

from lms.compiled import CompiledQuery, Slot
from lms.people.backends import PROFILE_RELATIONS, USER_WITH_PROFILES
from lms.people.models import Member, Teacher
from lms.people.tokens import api_token_find
from tests import factories

pytestmark = pytest.mark.django_db


def fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_user_with_profiles_is_the_one_the_orm_loads(county, django_assert_num_queries):
    member = county["member_a"]
    orm = get_user_model().objects.select_related(*PROFILE_RELATIONS).get(pk=member.user_id)
    with django_assert_num_queries(1):
        user = USER_WITH_PROFILES.first(pk=member.user_id)
        # Everything select_related loads is there, a missing teacher profile included (no query).
        assert fields(user) == fields(orm)
        assert fields(user.member) == fields(orm.member)
        assert fields(user.member.branch) == fields(orm.member.branch)
        assert fields(user.member.branch.township) == fields(orm.member.branch.township)
        assert type(user.member.branch.township) is type(orm.member.branch.township)
        with pytest.raises(get_user_model().teacher.RelatedObjectDoesNotExist):
            user.teacher  # noqa: B018


def test_each_call_binds_its_own_values(county, django_assert_num_queries):
    a, b = county["member_a"], county["member_b"]
    teacher = factories.TeacherFactory(user=factories.UserFactory())
    assert USER_WITH_PROFILES.first(pk=a.user_id).member == a
    with django_assert_num_queries(3):  # compiled already: one query per call, nothing else
        assert USER_WITH_PROFILES.first(pk=b.user_id).member == b
        assert USER_WITH_PROFILES.first(pk=teacher.user_id).teacher == teacher
        assert USER_WITH_PROFILES.first(pk=10**8) is None


def test_a_list_comes_in_the_querys_order(county):
    query = CompiledQuery(
        lambda s: Member.objects.filter(branch__township=s.town).order_by("-pk"), Slot("town", -774_000_002)
    )
    town = county["town_a"]
    assert [m.pk for m in query.all(town=town.pk)] == list(
        Member.objects.filter(branch__township=town).order_by("-pk").values_list("pk", flat=True)
    )
    assert query.all(town=county["town_b"].pk) and query.all(town=town.pk) != query.all(
        town=county["town_b"].pk
    )


def test_a_slot_the_orm_rewrites_is_refused_when_compiled(county):
    query = CompiledQuery(
        lambda s: Member.objects.filter(name__contains=s.name), Slot("name", "compiled-slot:x")
    )
    with pytest.raises(ValueError, match="slot 'name' is not among the SQL parameters"):
        query.all(name="张")


def test_a_token_made_under_the_previous_secret_key_still_opens(county):
    with override_settings(SECRET_KEY="an-earlier-secret-key-0123456789-abcdefghijklmnop"):
        raw = APIToken.create_token(user=county["member_a"].user, name="phone")[1]
    assert api_token_find(raw) is None
    with override_settings(SECRET_KEY_FALLBACKS=["an-earlier-secret-key-0123456789-abcdefghijklmnop"]):
        token = api_token_find(raw)
    assert token.user.member == county["member_a"]


def test_a_value_the_backend_wraps_is_wrapped_again():
    """psycopg sends a small integer field's value as its own Int2: a new value must be sent so too
    (and found at compile time although its type is not the example's)."""
    query = CompiledQuery(lambda s: Teacher.objects.filter(active_from=s.year), Slot("year", 32_001))
    teacher = factories.TeacherFactory(active_from=2021)
    assert query.all(year=2021) == [teacher]
    assert query.all(year=2020) == []


def test_annotations_and_a_slot_used_twice(county):
    """A slot in a subquery and in the outer query is bound at both places; annotations come as
    the ORM sets them."""
    from django.db.models import Count, Exists, OuterRef

    query = CompiledQuery(
        lambda s: (
            Member.objects.filter(branch__township=s.town)
            .annotate(
                same_town=Exists(Member.objects.filter(pk=OuterRef("pk"), branch__township=s.town)),
                n=Count("pk"),
            )
            .order_by("pk")
        ),
        Slot("town", -774_000_004),
    )
    town = county["town_a"]
    members = query.all(town=town.pk)
    assert [m.pk for m in members] == list(
        Member.objects.filter(branch__township=town).order_by("pk").values_list("pk", flat=True)
    )
    assert members and all(m.same_town is True and m.n == 1 for m in members)


def test_a_counting_query_counts_as_the_orm_does(county, django_assert_num_queries):
    query = CompiledQuery(
        lambda s: Member.objects.filter(branch__township=s.town).order_by("name"),
        Slot("town", -774_000_005),
        counting=True,
    )
    for town in (county["town_a"], county["town_b"]):
        with django_assert_num_queries(1):
            counted = query.count(town=town.pk)
        assert counted == Member.objects.filter(branch__township=town).count() > 0
    assert query.count(town=10**8) == 0


def test_a_startswith_slot_escapes_like_the_lookup(county):
    """A prefix is bound as the startswith lookup sends it: `_` and `%` in it match only themselves."""
    query = CompiledQuery(
        lambda s: Member.objects.filter(name__startswith=s.prefix).order_by("pk"),
        Slot("prefix", "QQ774-prefix", startswith=True),
    )
    branch = county["member_a"].branch
    exact = factories.MemberFactory(name="张_三%", branch=branch)
    like_wildcards = factories.MemberFactory(name="张x三y", branch=branch)
    assert [m.pk for m in query.all(prefix="张_三%")] == [exact.pk]
    assert like_wildcards.pk in [m.pk for m in query.all(prefix="张")]
    for prefix in ("张_", "张", "nobody"):
        assert [m.pk for m in query.all(prefix=prefix)] == list(
            Member.objects.filter(name__startswith=prefix).order_by("pk").values_list("pk", flat=True)
        )
    with pytest.raises(ValueError, match="prefix"):  # without startswith=True the pattern is not found
        CompiledQuery(
            lambda s: Member.objects.filter(name__startswith=s.prefix), Slot("prefix", "QQ774-prefix")
        ).all(prefix="张")

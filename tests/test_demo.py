"""`manage.py demo`: a complete demo county, idempotent, and refused in production.

Seeding takes a few seconds, so the module seeds once (twice in a row, to compare the counts) inside a
transaction that is rolled back when the module is done; each test runs in a savepoint within it.
"""

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from wagtail.models import Page, Revision, Site

from courses.models import (
    CitySchoolPage,
    CourseIndexPage,
    CourseModule,
    CoursePage,
    TeachingPointCategory,
    TeachingPointPage,
    TownshipSchoolPage,
)
from lms.demo.seed import county_counts
from lms.people import selectors
from lms.people.models import Branch, Member, StaffScope, Teacher, TeacherCategory
from lms.people.roles import Role

User = get_user_model()
MEMBERS = 60
LOGINS = ("orgdept", "cityschool", "township1", "teacher1", "member1", "migrant1")


def demo(**options) -> str:
    out = io.StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


def snapshot() -> dict[str, int]:
    return county_counts() | {
        "pages": Page.objects.count(),
        "revisions": Revision.objects.count(),
        "staff_scopes": StaffScope.objects.count(),
        "group_memberships": User.groups.through.objects.count(),
    }


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            first_output = demo(members=MEMBERS, if_empty=True)  # empty database: --if-empty seeds
            first = snapshot()
            second_output = demo(members=MEMBERS)
            yield {"first": first, "second": snapshot(), "outputs": (first_output, second_output)}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            Site.clear_site_root_paths_cache()


@pytest.fixture
def township1(seeded):
    return TownshipSchoolPage.objects.order_by("path").first()


pytestmark = pytest.mark.django_db


def test_seeding_twice_changes_nothing(seeded):
    assert seeded["first"] == seeded["second"]
    assert seeded["first"]["members"] == MEMBERS
    for output in seeded["outputs"]:
        assert "Demo county ready" in output
        assert "orgdept" in output and "password: demo" in output


def test_if_empty_leaves_a_seeded_database_alone(seeded):
    before = snapshot()
    assert "already there" in demo(members=500, if_empty=True)
    assert snapshot() == before


def test_three_tiers(seeded):
    city = CitySchoolPage.objects.get()
    townships = list(TownshipSchoolPage.objects.child_of(city).order_by("path"))
    assert len(townships) == 11
    assert len({township.title for township in townships}) == 11
    assert townships[0].title == "城关镇党校"
    seen = set()
    for township in townships:
        assert (
            township.live and township.address and township.head and township.phone and township.description
        )
        categories = list(TeachingPointPage.objects.child_of(township).values_list("category", flat=True))
        assert 3 <= len(categories) <= 5
        assert len(set(categories)) == len(categories) >= 3
        seen |= set(categories)
        assert 6 <= Branch.objects.filter(township=township).count() <= 10
    assert seen == set(TeachingPointCategory.values)
    assert not Page.objects.filter(live=False).exists()
    assert not Page.objects.filter(live_revision=None, depth__gt=1).exists()


def test_teacher_pool(seeded):
    assert Teacher.objects.count() == 263
    by_category = {c: Teacher.objects.filter(category=c).count() for c in TeacherCategory.values}
    assert by_category == {"leading_cadre": 149, "expert": 69, "exemplar": 45}
    assert not Teacher.objects.filter(name="").exists()
    assert not Teacher.objects.filter(organisation="").exists()
    assert not Teacher.objects.filter(subjects="").exists()
    assert all(2015 <= year <= 2024 for year in Teacher.objects.values_list("active_from", flat=True))


def test_members(seeded):
    phones = set(Member.objects.values_list("phone", flat=True))
    assert phones == {f"158{n:08d}" for n in range(1, MEMBERS + 1)}
    generated = Member.objects.exclude(user__username__in=LOGINS).select_related("user")
    assert all(member.user.username == member.phone for member in generated)
    assert all(member.user.first_name == member.name for member in generated)
    assert User.objects.filter(groups__name=Role.MEMBER.value).count() == MEMBERS
    assert Member.objects.filter(category="ordinary").count() > MEMBERS // 2
    assert Member.objects.filter(is_migrant=True).exists()
    assert Member.objects.values("branch").distinct().count() > 20
    assert authenticate(username=generated[0].phone, password="demo") is not None


def test_demo_logins(seeded, township1):
    users = {username: authenticate(username=username, password="demo") for username in LOGINS}
    assert all(users.values()), users
    assert all(user.first_name and not user.first_name.isascii() for user in users.values())

    assert selectors.is_org_dept(users["orgdept"])
    city = CitySchoolPage.objects.get()
    assert StaffScope.objects.filter(user=users["cityschool"], school=city).exists()
    assert selectors.user_has_role(users["cityschool"], Role.CITY_STAFF)
    assert list(selectors.townships_managed_by(users["township1"])) == [township1]

    member1 = users["member1"].member
    assert member1.branch.township == township1
    assert member1 in selectors.members_for_user(users["township1"])
    assert selectors.user_has_role(users["member1"], Role.MEMBER)
    assert users["migrant1"].member.is_migrant
    assert selectors.user_has_role(users["migrant1"], Role.MEMBER)
    assert Teacher.objects.get(user=users["teacher1"]).category == TeacherCategory.EXPERT
    assert selectors.user_has_role(users["teacher1"], Role.TEACHER)


def test_catalogues(seeded):
    schools = [CitySchoolPage.objects.get(), *TownshipSchoolPage.objects.all()]
    for school in schools:
        catalogue = CourseIndexPage.objects.child_of(school).get()
        courses = CoursePage.objects.child_of(catalogue).live()
        assert set(courses.values_list("module", flat=True)) == set(CourseModule.values), school
        for course in courses:
            assert course.summary and not course.summary.isascii()
            assert [block.block_type for block in course.body][:2] == ["heading", "paragraph"]


def test_site_root_is_the_city_school(seeded, client):
    site = Site.objects.get(is_default_site=True)
    assert site.root_page.specific == CitySchoolPage.objects.get()
    assert not Page.objects.filter(depth=2, slug="home").exists()  # Wagtail's "Welcome" page is gone
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "清源市委党校" in html
    for township in TownshipSchoolPage.objects.all():
        assert township.title in html
    assert client.get("/chengguan/courses/").status_code == 200


def test_refuses_to_run_in_production():
    before = CitySchoolPage.objects.count()
    with override_settings(PRODUCTION=True), pytest.raises(CommandError, match="production"):
        demo(members=10)
    assert CitySchoolPage.objects.count() == before


@pytest.mark.parametrize("members", [1, 20_001])
def test_member_count_is_bounded(members):
    with pytest.raises(CommandError, match="--members"):
        demo(members=members)

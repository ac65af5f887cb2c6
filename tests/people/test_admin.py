"""The people admin in Wagtail: every entry point scoped to the user's townships, member saves
through the service, the teacher pool and its yearly review for the organization department."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.people.models import (
    Branch,
    Member,
    PeopleLogEntry,
    Teacher,
    TeacherCategory,
    TeacherReview,
    TeacherReviewDecision,
)
from lms.people.permissions import member_permission_policy
from lms.people.roles import Role
from tests import factories
from tests.exports.helpers import download_export

pytestmark = pytest.mark.django_db


def assert_refused(response):
    """Refused: 403/404, or Wagtail's answer to PermissionDenied (back to the dashboard with a message)."""
    if response.status_code == 302:
        assert response.url == reverse("wagtailadmin_home"), response.url
    else:
        assert response.status_code in (403, 404), response.status_code


def listed(response) -> set[int]:
    assert response.status_code == 200
    return {obj.pk for obj in response.context["object_list"]}


def member_post(branch, **overrides):
    data = {"name": "新党员", "phone": "139 0000 1234", "branch": branch.pk, "category": "ordinary"}
    data.update(overrides)
    return data


# --- Branches and members: scoping -----------------------------------------------------------------


def test_township_staff_lists_only_their_township(client, county):
    client.force_login(county["staff_a"])
    assert listed(client.get(reverse("people_members:index"))) == {county["member_a"].pk}
    assert listed(client.get(reverse("people_branches:index"))) == {county["branch_a"].pk}
    # Searching and filtering by a foreign township cannot widen the list.
    response = client.get(reverse("people_members:index"), {"township": county["town_b"].pk})
    assert county["member_b"].pk not in listed(response)
    response = client.get(reverse("people_members:index"), {"q": county["member_b"].phone})
    assert listed(response) == set()


def test_city_staff_and_org_dept_see_every_township(client, county):
    both = {county["member_a"].pk, county["member_b"].pk}
    for user in (county["city_staff"], county["org"]):
        client.force_login(user)
        assert listed(client.get(reverse("people_members:index"))) == both
        assert listed(client.get(reverse("people_branches:index"))) == {
            county["branch_a"].pk,
            county["branch_b"].pk,
        }


@pytest.mark.parametrize("view", ["edit", "delete", "inspect", "history", "usage"])
def test_foreign_member_and_branch_are_refused(client, county, view):
    client.force_login(county["staff_a"])
    assert_refused(client.get(reverse(f"people_members:{view}", args=[county["member_b"].pk])))
    assert_refused(client.get(reverse(f"people_branches:{view}", args=[county["branch_b"].pk])))
    # Their own township's rows open.
    assert client.get(reverse(f"people_members:{view}", args=[county["member_a"].pk])).status_code == 200
    assert client.get(reverse(f"people_branches:{view}", args=[county["branch_a"].pk])).status_code == 200


def test_foreign_rows_cannot_be_copied_deleted_or_changed(client, county):
    client.force_login(county["staff_a"])
    assert_refused(client.get(reverse("people_branches:copy", args=[county["branch_b"].pk])))
    assert_refused(client.post(reverse("people_members:delete", args=[county["member_b"].pk])))
    assert_refused(client.post(reverse("people_branches:delete", args=[county["branch_b"].pk])))
    response = client.post(
        reverse("people_members:edit", args=[county["member_b"].pk]),
        member_post(county["branch_a"], name="改名"),
    )
    assert_refused(response)
    county["member_b"].refresh_from_db()
    assert county["member_b"].branch == county["branch_b"]
    assert Member.objects.filter(pk=county["member_b"].pk).exists()


def test_export_is_scoped(client, county):
    client.force_login(county["staff_a"])
    response = download_export(client, reverse("people_members:index"), {"export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8")
    assert county["member_a"].phone in body
    assert county["member_b"].phone not in body


def test_forms_offer_only_own_townships_and_branches(client, county):
    client.force_login(county["staff_a"])
    form = client.get(reverse("people_members:add")).context["form"]
    assert list(form.fields["branch"].queryset) == [county["branch_a"]]
    form = client.get(reverse("people_branches:add")).context["form"]
    assert list(form.fields["township"].queryset) == [county["town_a"].specific]


def test_policy_names_the_users_who_may_change_a_member(county):
    users = set(member_permission_policy.users_with_permission_for_instance("change", county["member_a"]))
    assert {county["staff_a"], county["city_staff"], county["org"]} <= users
    assert county["staff_b"] not in users
    assert member_permission_policy.user_has_permission_for_instance(
        county["staff_a"], "delete", county["member_a"]
    )
    assert not member_permission_policy.user_has_permission_for_instance(
        county["staff_a"], "delete", county["member_b"]
    )


# --- Members: saved through the service --------------------------------------------------------------


def test_creating_a_member_in_a_foreign_branch_is_a_form_error(client, county):
    client.force_login(county["staff_a"])
    response = client.post(reverse("people_members:add"), member_post(county["branch_b"]))
    assert response.status_code == 200
    assert "branch" in response.context["form"].errors
    assert not Member.objects.filter(phone="13900001234").exists()


def test_creating_a_member_goes_through_the_service(client, county):
    client.force_login(county["staff_a"])
    response = client.post(
        reverse("people_members:add"), member_post(county["branch_a"], phone="+86 139-0000-1234")
    )
    assert response.status_code == 302
    member = Member.objects.select_related("user").get(phone="13900001234")
    assert member.branch == county["branch_a"]
    assert member.user.username == "13900001234"
    assert member.user.groups.filter(name=Role.MEMBER.value).exists()
    assert PeopleLogEntry.objects.filter(object_id=str(member.pk), action="wagtail.create").exists()


def test_service_validation_error_shows_on_the_form(client, county):
    client.force_login(county["staff_a"])
    # Long enough for the form, too short for the service's phone rule.
    response = client.post(reverse("people_members:add"), member_post(county["branch_a"], phone="12345"))
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert not Member.objects.filter(phone="12345").exists()


def test_duplicate_phone_is_a_form_error(client, county):
    client.force_login(county["staff_a"])
    response = client.post(
        reverse("people_members:add"), member_post(county["branch_a"], phone=county["member_b"].phone)
    )
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    county["member_b"].refresh_from_db()
    assert county["member_b"].branch == county["branch_b"]


def test_editing_a_member_keeps_the_phone_and_uses_the_service(client, county):
    member = county["member_a"]
    other_branch = factories.BranchFactory(township=county["town_a"], name="甲社区党支部")
    client.force_login(county["staff_a"])
    url = reverse("people_members:edit", args=[member.pk])
    assert client.get(url).context["form"].fields["phone"].disabled
    response = client.post(
        url,
        member_post(
            other_branch, name="甲党员", phone="13811112222", category="village_cadre", is_migrant="on"
        ),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.branch, member.category, member.is_migrant) == (
        "甲党员",
        other_branch,
        "village_cadre",
        True,
    )
    assert member.phone != "13811112222"
    assert member.user.first_name == "甲党员"
    # Moving the member to another township's branch is refused by the form.
    response = client.post(url, member_post(county["branch_b"], name="甲党员"))
    assert response.status_code == 200
    assert "branch" in response.context["form"].errors
    member.refresh_from_db()
    assert member.branch == other_branch


def test_branch_in_a_foreign_township_is_refused(client, county):
    client.force_login(county["staff_a"])
    response = client.post(
        reverse("people_branches:add"), {"name": "新支部", "township": county["town_b"].pk, "kind": "village"}
    )
    assert response.status_code == 200
    assert "township" in response.context["form"].errors
    response = client.post(
        reverse("people_branches:add"), {"name": "新支部", "township": county["town_a"].pk, "kind": "village"}
    )
    assert response.status_code == 302
    assert county["town_a"].branches.filter(name="新支部").exists()


def test_member_index_query_count_does_not_grow_with_rows(client, county):
    client.force_login(county["org"])
    url = reverse("people_members:index")
    client.get(url)  # warm up caches (content types, site, ...)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    branches = [county["branch_a"], county["branch_b"]]
    for i in range(5):
        factories.MemberFactory(branch=branches[i % 2])
    few = count_queries()
    for i in range(25):
        factories.MemberFactory(branch=branches[i % 2])
    assert Member.objects.count() == 32
    assert count_queries() <= few


# --- Teacher pool ------------------------------------------------------------------------------------


def test_staff_view_the_pool_but_only_org_dept_changes_it(client, county):
    teacher = factories.TeacherFactory(name="王教授")
    client.force_login(county["staff_a"])
    assert teacher.pk in listed(client.get(reverse("people_teachers:index")))
    assert client.get(reverse("people_teachers:inspect", args=[teacher.pk])).status_code == 200
    assert_refused(client.get(reverse("people_teachers:add")))
    assert_refused(client.get(reverse("people_teachers:edit", args=[teacher.pk])))
    assert_refused(client.post(reverse("people_teachers:delete", args=[teacher.pk])))
    assert Teacher.objects.filter(pk=teacher.pk).exists()

    client.force_login(county["org"])
    assert client.get(reverse("people_teachers:add")).status_code == 200
    assert client.get(reverse("people_teachers:edit", args=[teacher.pk])).status_code == 200


def review_post(teachers_and_decisions):
    data = {
        "review-TOTAL_FORMS": str(len(teachers_and_decisions)),
        "review-INITIAL_FORMS": str(len(teachers_and_decisions)),
        "review-MIN_NUM_FORMS": "0",
        "review-MAX_NUM_FORMS": "1000",
    }
    for i, (teacher, decision, note) in enumerate(teachers_and_decisions):
        data[f"review-{i}-teacher"] = str(teacher.pk)
        data[f"review-{i}-decision"] = decision
        data[f"review-{i}-note"] = note
    return data


def test_org_dept_runs_the_yearly_review(client, county):
    kept = factories.TeacherFactory(name="甲", active_from=2020)
    retired = factories.TeacherFactory(name="乙", active_from=2020)
    left_before = factories.TeacherFactory(name="丙", active_from=2018, active_to=2023)
    joins_later = factories.TeacherFactory(name="丁", active_from=2026)
    url = reverse("people_teacher_pool_review:index") + "?year=2025"
    client.force_login(county["org"])

    response = client.get(url)
    assert response.status_code == 200
    shown = [teacher for teacher, _form in response.context["rows"]]
    assert set(shown) == {kept, retired}  # not who left before 2024, nor who joins after 2025
    assert left_before not in shown and joins_later not in shown

    decisions = {kept: ("kept", "讲课好"), retired: ("retired", "调离")}
    response = client.post(url, review_post([(t, *decisions[t]) for t in shown]))
    assert response.status_code == 302
    reviews = {r.teacher_id: r for r in TeacherReview.objects.filter(year=2025)}
    assert reviews[kept.pk].decision == TeacherReviewDecision.KEPT
    assert reviews[retired.pk].decision == TeacherReviewDecision.RETIRED
    assert reviews[retired.pk].decided_by == county["org"]
    assert len(reviews) == 2
    kept.refresh_from_db()
    retired.refresh_from_db()
    assert kept.active_to is None
    assert retired.active_to == 2025

    # A new teacher joins the pool in the same review.
    response = client.post(
        url,
        {
            "add-teacher": "1",
            "new-name": "李榜样",
            "new-category": TeacherCategory.EXEMPLAR,
            "new-organisation": "某村",
            "new-subjects": "乡村振兴",
            "new-phone": "13700001111",
            "new-note": "身边榜样",
        },
    )
    assert response.status_code == 302
    newcomer = Teacher.objects.get(name="李榜样")
    assert (newcomer.active_from, newcomer.active_to) == (2025, None)
    assert newcomer.reviews.get(year=2025).decision == TeacherReviewDecision.ADDED

    # The history lists the year's reviews.
    response = client.get(reverse("people_teacher_reviews:index"), {"year": 2025})
    assert len(listed(response)) == 3


def test_review_errors_show_on_the_line_and_save_nothing(client, county):
    ok = factories.TeacherFactory(name="甲", active_from=2020)
    retired_last_year = factories.TeacherFactory(name="乙", active_from=2020, active_to=2024)
    client.force_login(county["org"])
    url = reverse("people_teacher_pool_review:index") + "?year=2025"
    shown = [teacher for teacher, _form in client.get(url).context["rows"]]
    assert set(shown) == {ok, retired_last_year}
    decisions = {ok: "kept", retired_last_year: "kept"}  # cannot keep who left the year before
    response = client.post(url, review_post([(t, decisions[t], "") for t in shown]))
    assert response.status_code == 200
    assert any(form.errors for _teacher, form in response.context["rows"])
    assert not TeacherReview.objects.exists()


def test_only_org_dept_may_review_the_pool(client, county):
    url = reverse("people_teacher_pool_review:index")
    for user in (county["staff_a"], county["city_staff"]):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert (
            client.post(url, {"add-teacher": "1", "new-name": "x", "new-category": "expert"}).status_code
            == 403
        )
        assert_refused(client.get(reverse("people_teacher_reviews:index")))
    assert not Teacher.objects.exists()


def test_menu_shows_the_review_to_org_dept_only(client, county):
    review_url = reverse("people_teacher_pool_review:index")
    client.force_login(county["org"])
    assert review_url in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(county["staff_a"])
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("people_members:index") in page
    assert review_url not in page


def test_a_branch_with_members_is_not_deleted(client, county):
    client.force_login(county["staff_a"])
    response = client.post(reverse("people_branches:delete", args=[county["branch_a"].pk]))
    assert response.status_code == 302
    assert Branch.objects.filter(pk=county["branch_a"].pk).exists()
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    empty = factories.BranchFactory(township=county["town_a"], name="空支部")
    response = client.post(reverse("people_branches:delete", args=[empty.pk]))
    assert response.status_code == 302
    assert not Branch.objects.filter(pk=empty.pk).exists()


def test_a_login_taken_by_someone_else_is_a_form_error(client, county):
    factories.UserFactory(username="13900005555")  # e.g. a teacher's login
    client.force_login(county["staff_a"])
    response = client.post(
        reverse("people_members:add"), member_post(county["branch_a"], phone="13900005555")
    )
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert not Member.objects.filter(phone="13900005555").exists()

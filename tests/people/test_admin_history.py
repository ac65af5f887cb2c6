"""Wagtail's log entries about members and branches (PeopleLogEntry) are read per township: the site
history report shows township staff only what happened to their own township's people."""

import pytest
from django.urls import reverse
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from lms.people.models import PeopleLogEntry
from tests import factories

pytestmark = pytest.mark.django_db

SITE_HISTORY = reverse("wagtailadmin_reports:site_history")


def edit_member(client, user, member, name):
    client.force_login(user)
    response = client.post(
        reverse("people_members:edit", args=[member.pk]),
        {"name": name, "phone": member.phone, "branch": member.branch_id, "category": member.category},
    )
    assert response.status_code == 302, response.content


@pytest.fixture
def edited(client, county):
    """Staff A renames member A in the admin, the organization department renames member B."""
    edit_member(client, county["staff_a"], county["member_a"], "甲镇张三")
    edit_member(client, county["org"], county["member_b"], "乙镇李四")
    client.logout()
    return county


def site_history(client, user, **params) -> str:
    client.force_login(user)
    response = client.get(SITE_HISTORY, params)
    assert response.status_code == 200
    if params.get("export"):
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode()


def test_admin_edits_are_logged_in_the_people_log(edited):
    for member in (edited["member_a"], edited["member_b"]):
        entry = PeopleLogEntry.objects.get(object_id=str(member.pk), action="wagtail.edit")
        assert entry.township_id == member.branch.township_id
    assert not ModelLogEntry.objects.filter(action="wagtail.edit").exists()


def test_township_staff_see_only_their_townships_entries(client, edited):
    page = site_history(client, edited["staff_a"])
    assert "甲镇张三" in page
    assert "乙镇李四" not in page
    page = site_history(client, edited["staff_b"])
    assert "乙镇李四" in page
    assert "甲镇张三" not in page
    # Nor through the export, or by filtering on the name.
    export = site_history(client, edited["staff_a"], export="csv")
    assert "甲镇张三" in export
    assert "乙镇李四" not in export
    assert "乙镇李四" not in site_history(client, edited["staff_a"], label="李四")


def test_org_dept_and_city_staff_see_every_township(client, edited):
    for user in (edited["org"], edited["city_staff"]):
        page = site_history(client, user)
        assert "甲镇张三" in page
        assert "乙镇李四" in page


def test_branch_entries_are_scoped_too(client, county):
    log(county["branch_b"], "wagtail.edit", user=county["org"])
    log(county["branch_a"], "wagtail.edit", user=county["org"])
    page = site_history(client, county["staff_a"])
    assert county["branch_a"].name in page
    assert county["branch_b"].name not in page
    assert county["branch_b"].name in site_history(client, county["org"])


def test_members_and_outsiders_see_no_people_entries(county):
    log(county["member_a"], "wagtail.edit", user=county["staff_a"])
    member_user = county["member_a"].user
    assert not PeopleLogEntry.objects.viewable_by_user(member_user).exists()
    staff_a_sees = PeopleLogEntry.objects.viewable_by_user(county["staff_a"])
    assert [entry.object_id for entry in staff_a_sees] == [str(county["member_a"].pk)]


def test_member_history_view_still_lists_the_entries(client, edited):
    entry = PeopleLogEntry.objects.get(object_id=str(edited["member_a"].pk), action="wagtail.edit")
    client.force_login(edited["staff_a"])
    response = client.get(reverse("people_members:history", args=[edited["member_a"].pk]))
    assert response.status_code == 200
    assert entry.pk in {row.pk for row in response.context["object_list"]}
    # Another township's member's history stays out of reach.
    response = client.get(reverse("people_members:history", args=[edited["member_b"].pk]))
    assert response.status_code in (302, 403, 404)


def test_branch_history_view_lists_its_entries(client, county):
    entry = log(county["branch_a"], "wagtail.edit", user=county["staff_a"])
    client.force_login(county["staff_a"])
    response = client.get(reverse("people_branches:history", args=[county["branch_a"].pk]))
    assert response.status_code == 200
    assert entry.pk in {row.pk for row in response.context["object_list"]}


def test_deleted_members_entries_stay_with_the_township_they_were_logged_in(client, county):
    gone = factories.MemberFactory(branch=county["branch_a"], name="甲镇王五")
    client.force_login(county["staff_a"])
    response = client.post(reverse("people_members:delete", args=[gone.pk]))
    assert response.status_code == 302
    assert PeopleLogEntry.objects.filter(object_id=str(gone.pk), action="wagtail.delete").exists()
    assert "甲镇王五" in site_history(client, county["staff_a"])
    assert "甲镇王五" in site_history(client, county["org"])
    assert "甲镇王五" not in site_history(client, county["staff_b"])


def test_deleted_objects_entries_without_a_township_are_org_dept_only(client, county):
    gone = factories.MemberFactory(branch=county["branch_a"], name="甲镇赵六")
    log(gone, "wagtail.delete", user=county["org"], deleted=True)
    PeopleLogEntry.objects.filter(object_id=str(gone.pk)).update(township=None)
    gone.delete()
    assert "甲镇赵六" not in site_history(client, county["staff_a"])
    assert "甲镇赵六" in site_history(client, county["org"])

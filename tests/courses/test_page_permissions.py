"""Staff edit only their own school's subtree of the page tree, through Wagtail's page permissions
(granted by services.staff_scope_grant); the organization department edits everything.

Wagtail 8 answers a page permission refusal in the admin by redirecting to the dashboard with
"Sorry, you do not have permission to access this area." (wagtail.admin.auth.permission_denied).
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from wagtail.models import Page

from courses.models import TeachingPointPage
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def courses_b(county):
    index = factories.course_index(county["town_b"])
    return {"index": index, "course": factories.course(index, "乙镇专题课")}


def assert_refused(client, response):
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert messages, "Wagtail explains the refusal with a message"


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def add_url(model, parent):
    return reverse("wagtailadmin_pages:add", args=[model._meta.app_label, model._meta.model_name, parent.pk])


def test_township_staff_edit_their_own_teaching_point(client, county):
    client.force_login(county["staff_a"])
    assert client.get(edit_url(county["point_a"])).status_code == 200
    assert client.get(edit_url(county["town_a"])).status_code == 200
    assert client.get(add_url(TeachingPointPage, county["town_a"])).status_code == 200


def test_township_staff_are_refused_another_township(client, county, courses_b):
    client.force_login(county["staff_a"])
    for page in (county["point_b"], county["town_b"], courses_b["course"], county["city"]):
        assert_refused(client, client.get(edit_url(page)))
    assert_refused(client, client.get(add_url(TeachingPointPage, county["town_b"])))
    assert_refused(client, client.get(reverse("wagtailadmin_pages:add_subpage", args=[county["town_b"].pk])))


def test_township_staff_cannot_post_a_page_under_another_township(client, county):
    client.force_login(county["staff_a"])
    before = county["town_b"].get_children_count()
    response = client.post(
        add_url(TeachingPointPage, county["town_b"]),
        {"title": "偷建教学点", "slug": "sneaky", "category": "party_spirit", "action-publish": "publish"},
    )
    assert_refused(client, response)
    assert Page.objects.get(pk=county["town_b"].pk).get_children_count() == before


def test_township_staff_cannot_change_another_townships_page_by_post(client, county):
    client.force_login(county["staff_a"])
    point_b = county["point_b"]
    response = client.post(
        edit_url(point_b), {"title": "改名", "slug": point_b.slug, "category": point_b.category}
    )
    assert_refused(client, response)
    point_b.refresh_from_db()
    assert point_b.title != "改名"


def test_org_dept_and_city_staff_edit_both_townships(client, county, courses_b):
    for user in (county["org"], county["city_staff"]):
        client.force_login(user)
        for page in (county["point_a"], county["point_b"], county["town_b"], courses_b["course"]):
            assert client.get(edit_url(page)).status_code == 200


def test_explorer_starts_at_the_staff_members_own_township(client, county):
    client.force_login(county["staff_a"])
    town_a = county["town_a"]
    response = client.get(reverse("wagtailadmin_explore_root"))
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_explore", args=[town_a.pk])
    # Another township's listing sends them back to their own.
    response = client.get(reverse("wagtailadmin_explore", args=[county["town_b"].pk]))
    assert response.url == reverse("wagtailadmin_explore", args=[town_a.pk])
    response = client.get(reverse("wagtailadmin_explore", args=[town_a.pk]))
    assert response.status_code == 200
    listed = {page.pk for page in response.context["pages"]}
    assert county["point_a"].pk in listed
    assert county["point_b"].pk not in listed


def test_explorer_of_the_org_dept_starts_at_the_root(client, county):
    client.force_login(county["org"])
    assert client.get(reverse("wagtailadmin_explore_root")).status_code == 200

"""A school's public timetable (<school>/timetable/): published classes only, no member data."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Site

from lms.scheduling import services
from tests import factories
from tests.factories import TeacherFactory


def day(offset: int = 7):
    return timezone.localdate() + timedelta(days=offset)


@pytest.fixture
def county(county):
    """The county with the city school as the site's root, so its pages have URLs."""
    site = Site.objects.get(is_default_site=True)
    site.root_page = county["city"]
    site.save()
    return county


def timetable_url(school) -> str:
    return school.url + "timetable/"


def ids_in(body: str) -> set[int]:
    import re

    return {int(found) for found in re.findall(r'data-testid="timetable-class" data-class="(\d+)"', body)}


@pytest.mark.django_db
def test_township_timetable_lists_its_published_classes_and_no_drafts(client, county):
    teacher = TeacherFactory(name="李教授")
    published = factories.training_class(
        county["town_a"], day(), teacher=teacher, point=county["point_a"], publish=True, title="公开班"
    )
    factories.training_class(
        county["town_a"], day(8), teacher=teacher, point=county["point_a"], title="草稿班"
    )
    factories.training_class(
        county["town_b"], day(9), teacher=teacher, point=county["point_b"], publish=True, title="乙镇班"
    )
    finished = factories.training_class(
        county["town_a"], day(-3), teacher=teacher, point=county["point_a"], publish=True, title="结束班"
    )
    cancelled = factories.training_class(
        county["town_a"], day(10), teacher=teacher, point=county["point_a"], publish=True, title="取消班"
    )
    services.training_class_cancel(actor=county["org"], training_class=cancelled, reason="改期")
    services.enrolment_add(actor=county["org"], training_class=published, members=[county["member_a"]])

    response = client.get(timetable_url(county["town_a"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert ids_in(body) == {published.pk}
    assert "公开班" in body and "草稿班" not in body and "乙镇班" not in body
    assert "结束班" not in body and "取消班" not in body and finished.pk not in ids_in(body)
    assert body.count('data-testid="timetable-session"') == published.sessions.count()
    assert "李教授" in body and county["point_a"].title in body
    assert county["member_a"].name not in body and county["member_a"].phone not in body


@pytest.mark.django_db
def test_school_pages_link_to_their_timetable(client, county):
    for school in (county["town_a"], county["city"]):
        body = client.get(school.url).content.decode()
        assert f'href="{timetable_url(school)}"' in body
        assert client.get(timetable_url(school)).status_code == 200


@pytest.mark.django_db
def test_city_timetable_shows_only_the_city_schools_own_classes(client, county):
    teacher = TeacherFactory()
    city_class = factories.training_class(
        county["city"], day(), teacher=teacher, point=county["point_a"], publish=True, title="市级班"
    )
    factories.training_class(
        county["town_a"], day(8), teacher=teacher, point=county["point_a"], publish=True, title="镇级班"
    )
    body = client.get(timetable_url(county["city"])).content.decode()
    assert ids_in(body) == {city_class.pk}


@pytest.mark.django_db
def test_timetable_cost_does_not_grow_with_classes(client, county):
    def add(first, count):
        for offset in range(first, first + count):
            factories.training_class(
                county["town_a"], day(offset), teacher=TeacherFactory(), point=county["point_a"], publish=True
            )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(timetable_url(county["town_a"])).status_code == 200
        return len(captured)

    add(2, 3)
    client.get(timetable_url(county["town_a"]))  # fills the site's root-path cache
    few = queries()
    add(5, 9)
    assert queries() == few

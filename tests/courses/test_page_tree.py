"""The page tree is the network: each page type lives only under its allowed parents, and renders."""

import pytest
from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase

from courses.models import (
    CitySchoolPage,
    CourseIndexPage,
    CourseModule,
    CoursePage,
    TeachingPointPage,
    TownshipSchoolPage,
)
from tests import factories


class PageTreeRulesTests(WagtailPageTestCase):
    def test_allowed_parents(self):
        self.assertAllowedParentPageTypes(CitySchoolPage, {Page})
        self.assertAllowedParentPageTypes(TownshipSchoolPage, {CitySchoolPage})
        self.assertAllowedParentPageTypes(TeachingPointPage, {TownshipSchoolPage})
        self.assertAllowedParentPageTypes(CourseIndexPage, {CitySchoolPage, TownshipSchoolPage})
        self.assertAllowedParentPageTypes(CoursePage, {CourseIndexPage})

    def test_allowed_children(self):
        self.assertAllowedSubpageTypes(CitySchoolPage, {TownshipSchoolPage, CourseIndexPage})
        self.assertAllowedSubpageTypes(TownshipSchoolPage, {TeachingPointPage, CourseIndexPage})
        self.assertAllowedSubpageTypes(TeachingPointPage, set())
        self.assertAllowedSubpageTypes(CoursePage, set())

    def test_wrong_places_are_refused(self):
        city = factories.city_school()
        town = factories.township_school(city)
        point = factories.teaching_point(town)
        # A teaching point directly under the city school, a township under a township,
        # anything under a teaching point: all impossible.
        self.assertCanNotCreateAt(CitySchoolPage, TeachingPointPage)
        self.assertCanNotCreateAt(TownshipSchoolPage, TownshipSchoolPage)
        self.assertCanNotCreateAt(TeachingPointPage, CoursePage)
        self.assertFalse(TeachingPointPage.can_create_at(city))
        self.assertFalse(CoursePage.can_create_at(town))
        self.assertFalse(TownshipSchoolPage.can_create_at(point))
        self.assertTrue(TeachingPointPage.can_create_at(town))

    def test_one_catalogue_per_school(self):
        city = factories.city_school()
        self.assertTrue(CourseIndexPage.can_create_at(city))
        factories.course_index(city)
        self.assertFalse(CourseIndexPage.can_create_at(city))


@pytest.fixture
def site_tree(county):
    city = county["city"]
    site = Site.objects.get(is_default_site=True)
    site.root_page = city
    site.save()
    index = factories.course_index(county["town_a"])
    county["course"] = factories.course(index, "乡村振兴专题", CourseModule.THEMATIC)
    county["city_course"] = factories.course(factories.course_index(city), "党章学习", CourseModule.GENERAL)
    return county


def test_city_school_lists_its_townships(client, site_tree):
    response = client.get(site_tree["city"].url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "甲镇党校" in body and "乙镇党校" in body


def test_township_school_lists_points_and_courses(client, site_tree):
    response = client.get(site_tree["town_a"].url)
    body = response.content.decode()
    assert response.status_code == 200
    assert site_tree["point_a"].title in body
    assert site_tree["point_b"].title not in body
    assert "乡村振兴专题" in body
    assert "党章学习" not in body


def test_teaching_point_and_course_pages_render(client, site_tree):
    point = client.get(site_tree["point_a"].url)
    assert point.status_code == 200
    assert site_tree["point_a"].title in point.content.decode()
    course = client.get(site_tree["course"].url)
    assert course.status_code == 200
    assert "乡村振兴专题" in course.content.decode()


def test_catalogue_filters_by_module(client, site_tree):
    index = site_tree["course"].get_parent()
    factories.course(index, "基层治理实务", CourseModule.PROFESSIONAL)
    body = client.get(index.url + "?module=professional").content.decode()
    assert "基层治理实务" in body
    assert "乡村振兴专题" not in body


def test_course_search_finds_courses(client, site_tree):
    response = client.get("/search/", {"query": "乡村振兴"})
    assert response.status_code == 200
    assert "乡村振兴专题" in response.content.decode()
    nothing = client.get("/search/", {"query": "不存在的课程名"}).content.decode()
    assert "乡村振兴专题" not in nothing


def test_course_search_ignores_drafts(client, site_tree):
    draft = site_tree["course"]
    draft.unpublish()
    assert "乡村振兴专题" not in client.get("/search/", {"query": "乡村振兴"}).content.decode()


def test_course_search_reads_the_body(client, site_tree):
    course = site_tree["course"]
    course.body = [("paragraph", "<p>学习村集体经济发展的经验</p>")]
    course.save_revision().publish()
    body = client.get("/search/", {"query": "集体经济"}).content.decode()
    assert "乡村振兴专题" in body

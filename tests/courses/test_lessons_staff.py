"""Staff view of a course: learners in the user's scope, completion per lesson, XLSX; and the API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses import learning_services as services
from courses.learning_models import CompletionWay
from tests import factories
from tests.courses.learning_helpers import online_course
from tests.exports.helpers import download_export, file_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def city_course(county):
    """A city course taken by a member of each township; member_a also reads the text lesson."""
    course, lessons = online_course(county["city"], title="市级党章课程")
    for member in (county["member_a"], county["member_b"]):
        services.lesson_open(member=member, lesson=lessons[0])
    services.lesson_complete(member=county["member_a"], lesson=lessons[2], way=CompletionWay.READ)
    return {"course": course, "lessons": lessons, **county}


def learners_url(course, **query) -> str:
    url = reverse("courses_course_learners", args=[course.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_city_staff_see_every_learner_with_completion_per_lesson(client, city_course):
    client.force_login(city_course["city_staff"])
    page = client.get(learners_url(city_course["course"]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "学员：市级党章课程" in body  # the page's title, in the breadcrumbs
    assert body.count('data-testid="learner-row"') == 2
    rates = {row["lesson"].pk: row for row in page.context["rates"]}
    text_lesson = city_course["lessons"][2]
    assert (rates[text_lesson.pk]["completed"], rates[text_lesson.pk]["rate"]) == (1, 50)
    assert rates[city_course["lessons"][0].pk]["completed"] == 0


def test_township_staff_cannot_open_a_city_course_nor_another_townships(client, city_course):
    client.force_login(city_course["staff_a"])
    assert client.get(learners_url(city_course["course"])).status_code == 404
    course_b, _lessons = online_course(city_course["town_b"], title="乙镇课程")
    assert client.get(learners_url(course_b)).status_code == 404
    client.force_login(city_course["member_a"].user)
    assert client.get(learners_url(city_course["course"])).status_code in (302, 403, 404)


def test_township_staff_see_only_their_own_members_among_a_courses_learners(client, county):
    course, lessons = online_course(county["town_a"], title="甲镇课程")
    services.lesson_open(member=county["member_a"], lesson=lessons[0])
    services.lesson_complete(member=county["member_a"], lesson=lessons[2], way=CompletionWay.READ)
    client.force_login(county["staff_a"])
    page = client.get(learners_url(course))
    assert page.status_code == 200
    rows = page.content.decode().count('data-testid="learner-row"')
    assert rows == 1 and page.context["learner_count"] == 1


def test_the_xlsx_lists_the_learners_in_scope(client, city_course):
    client.force_login(city_course["city_staff"])
    answer = download_export(client, learners_url(city_course["course"]), {"export": "xlsx"})
    rows = file_rows(answer, "xlsx")
    assert rows[0][:3] == ["镇街党校", "党支部", "姓名"] and len(rows[0]) == 8 + 3  # a column per lesson
    names = {row[2] for row in rows[1:]}
    assert names == {city_course["member_a"].name, city_course["member_b"].name}
    done = {row[2]: row[5] for row in rows[1:]}
    assert done[city_course["member_a"].name] == 1 and done[city_course["member_b"].name] == 0


def _staff_page_queries(client, user, course) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(learners_url(course)).status_code == 200
    return len(queries)


def test_staff_page_queries_do_not_grow_with_learners(client, city_course):
    course, lessons = city_course["course"], city_course["lessons"]
    few = _staff_page_queries(client, city_course["city_staff"], course)
    for member in factories.MemberFactory.create_batch(15, branch=city_course["branch_b"]):
        services.lesson_open(member=member, lesson=lessons[1])
        services.lesson_complete(member=member, lesson=lessons[2], way=CompletionWay.READ)
    many = _staff_page_queries(client, city_course["city_staff"], course)
    assert many <= few, (few, many)


def test_api_lists_my_courses_with_progress_and_the_lesson_to_continue(client, city_course):
    client.force_login(city_course["member_a"].user)
    answer = client.get("/api/v1/me/courses")
    assert answer.status_code == 200
    [course] = answer.json()
    assert course["id"] == city_course["course"].pk and course["started"]
    assert (course["lessons_done"], course["lessons_total"], course["percent"]) == (1, 3, 33)
    assert course["continue_lesson_id"] == city_course["lessons"][0].pk
    assert [lesson["complete"] for lesson in course["lessons"]] == [False, False, True]
    # Each member sees their own progress only.
    client.force_login(city_course["member_b"].user)
    [theirs] = client.get("/api/v1/me/courses").json()
    assert theirs["lessons_done"] == 0
    # Not a member: an empty list; not signed in: 401.
    client.force_login(city_course["staff_a"])
    assert client.get("/api/v1/me/courses").json() == []
    client.logout()
    assert client.get("/api/v1/me/courses").status_code == 401


def test_editors_choose_only_the_videos_they_manage(client, county):
    from tests.courses.learning_helpers import ready_video

    own, other = (
        ready_video(county["town_a"], title="甲镇视频"),
        ready_video(county["town_b"], title="乙镇视频"),
    )
    course, _lessons = online_course(county["town_a"], title="甲镇课程", video=own)
    client.force_login(county["staff_a"])
    page = client.get(reverse("wagtailadmin_pages:edit", args=[course.pk]))
    assert page.status_code == 200
    formset = page.context["form"].formsets["lessons"]
    for form in [*formset.forms, formset.empty_form]:
        assert set(form.fields["video"].queryset) == {own}
    point_page = client.get(reverse("wagtailadmin_pages:edit", args=[county["point_a"].pk]))
    assert set(point_page.context["form"].fields["hall_video"].queryset) == {own}
    assert other not in point_page.context["form"].fields["hall_video"].queryset

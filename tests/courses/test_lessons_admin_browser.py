"""City staff open a course's learners page from the page's header menu in the admin."""

import pytest

from courses import learning_services as services
from courses.learning_models import CompletionWay
from tests.courses.learning_helpers import online_course
from tests.e2e.conftest import chromium  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_learners_page_in_the_admin(chromium, live_server, county):  # noqa: F811
    course, lessons = online_course(county["city"], title="市级党章课程")
    for member in (county["member_a"], county["member_b"]):
        services.lesson_open(member=member, lesson=lessons[0])
    services.lesson_complete(member=county["member_a"], lesson=lessons[2], way=CompletionWay.READ)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/?next=/admin/pages/{course.pk}/")
    page.fill("#id_username", "city_staff")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/admin/courses/{course.pk}/learners/")
    assert page.get_by_test_id("learner-row").count() == 2
    rates = page.get_by_test_id("lesson-rate")
    assert rates.count() == 3 and "50%" in rates.nth(2).inner_text()
    context.close()

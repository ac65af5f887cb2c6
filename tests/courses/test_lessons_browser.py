"""A member on a 390 px phone continues a course from home, reads a lesson and goes on to the next."""

import pytest

from courses import learning_services as services
from courses.learning_models import LessonCompletion
from tests.courses.learning_helpers import online_course
from tests.e2e.conftest import chromium, phone  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_continue_a_course_on_a_phone(phone, live_server, county):  # noqa: F811
    member = county["member_a"]
    course, lessons = online_course(county["town_a"], title="党章学习网上课程")
    services.lesson_open(member=member, lesson=lessons[2])  # the text lesson is where they left off
    page = phone
    page.goto(f"{live_server.url}/login/?next=/me/")
    page.fill("#id_username", member.user.username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/me/")
    assert "党章学习网上课程" in page.get_by_test_id("learning-continue").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_test_id("continue-lesson").first.click()
    page.wait_for_url(f"**/me/learning/{course.pk}/{lessons[2].pk}/")
    assert "党章全文" in page.get_by_test_id("lesson-text").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_test_id("mark-read").click()
    page.wait_for_url(f"**/me/learning/{course.pk}/")
    assert "1/3" in page.get_by_test_id("course-progress").inner_text()
    assert LessonCompletion.objects.filter(member=member, lesson=lessons[2]).exists()
    page.goto(f"{live_server.url}/me/learning/")
    assert page.get_by_test_id("course-item").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

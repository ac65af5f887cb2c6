"""After a demo session: member1 evaluates the lecture on a phone (a missed required question first),
cannot answer twice, and teacher1 reads aggregated, anonymous results of their own sessions."""

from io import StringIO

import pytest
from django.core.management import call_command

from lms.evaluation.models import Submission
from lms.evaluation.selectors import member_open_evaluations
from lms.people.models import Member, Teacher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    call_command("demo", members=60, stdout=StringIO())
    member1 = Member.objects.get(user__username="member1")
    return {"member1": member1, "open": member_open_evaluations(member1)}


def log_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/me/")


def test_member_evaluates_on_a_phone_and_the_teacher_reads_results(phone, chromium, live_server, demo):
    assert demo["open"], "the demo leaves member1 a session to evaluate"
    session = demo["open"][0].session
    base = live_server.url

    log_in(phone, base, "member1")
    card = phone.get_by_test_id("to-evaluate")
    assert "待评价" in card.inner_text() or "节课程待评价" in card.inner_text()
    phone.get_by_test_id("evaluations-link").click()
    phone.get_by_test_id(f"evaluation-{session.pk}").get_by_role("link").click()
    phone.wait_for_url(f"{base}/me/evaluations/{session.pk}/")
    assert session.teacher.name in phone.get_by_test_id("teacher").inner_text()

    questions = phone.locator("fieldset.question")
    ratings = [
        questions.nth(i) for i in range(questions.count()) if questions.nth(i).locator(".rating").count()
    ]
    assert len(ratings) == 5
    for fieldset in ratings[:4]:  # everything but the overall satisfaction item
        fieldset.locator("label.rating-step").nth(3).click()
    phone.get_by_test_id("submit-evaluation").click()
    assert "部分答案需要修改" in phone.get_by_test_id("form-errors").inner_text()
    assert "此题必须作答。" in ratings[4].inner_text()
    assert ratings[0].locator("input[value='4']").is_checked()  # given answers are kept
    assert Submission.objects.filter(member=demo["member1"], evaluation__session=session).count() == 0

    ratings[4].locator("label.rating-step").nth(4).click()
    phone.locator("textarea").first.fill("联系实际，很受启发")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_test_id("submit-evaluation").click()
    phone.wait_for_url(f"{base}/me/evaluations/{session.pk}/thanks/")
    assert "匿名记录" in phone.get_by_test_id("thanks").inner_text()
    assert Submission.objects.filter(member=demo["member1"], evaluation__session=session).count() == 1

    phone.goto(f"{base}/me/evaluations/{session.pk}/")
    assert phone.get_by_test_id("refused").get_attribute("data-reason") == "answered"

    teacher = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = teacher.new_page()
    log_in(page, base, "teacher1")
    page.get_by_test_id("feedback-link").click()
    shown = page.locator("[data-testid=feedback-session][data-shown='1']")
    assert shown.count() >= 2
    shown.first.get_by_role("link").first.click()
    result = page.get_by_test_id("session-result")
    assert result.get_attribute("data-shown") == "1"
    assert "%" in page.get_by_test_id("session-satisfaction").inner_text()
    assert int(page.get_by_test_id("responses").inner_text()) >= 5
    # Nothing names who said what: no member of the class appears on the page.
    text = page.locator("main").inner_text()
    own_name = Teacher.objects.get(user__username="teacher1").name
    names = set(
        Member.objects.filter(attendance__session__teacher__user__username="teacher1")
        .exclude(name=own_name)
        .values_list("name", flat=True)
    )
    assert names and not [name for name in names if name in text]
    teacher.close()

"""A member takes a timed exam on a phone, loses the network for a moment, and submits with nothing lost."""

import os
from datetime import timedelta

import pytest

from lms.quizzes.models import Attempt, AttemptStatus, PaperKind
from tests import factories
from tests.e2e.conftest import chromium, phone  # noqa: F401 (the browser fixtures)
from tests.quizzes.conftest import fixed_paper

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def exam(county, bank):
    user = factories.UserFactory(username="member1", first_name="王建国", password="demo")
    member = factories.MemberFactory(user=user, name="王建国", branch=county["branch_a"])
    paper = fixed_paper(
        county["city"],
        [bank["single"], bank["multiple"], bank["fill"], bank["essay"]],
        title="理论考试",
        kind=PaperKind.EXAM,
        time_limit_minutes=30,
    )
    return {"member": member, "paper": paper, **bank}


def log_in(page, url):
    page.goto(f"{url}/login/?next=/me/quizzes/")
    page.fill("#id_username", "member1")
    page.fill("#id_password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/me/quizzes/")


def shown_correct(attempt, question):
    slot = attempt.slots.get(question=question)
    return slot.position, slot.option_order.index(question.correct)


def question_section(page, position):
    return page.locator(f'.quiz-q[data-position="{position}"]')


def go_to(page, attempt, position):
    """One question per screen: step to the question at `position`."""
    index = list(attempt.slots.order_by("position").values_list("position", flat=True)).index(position)
    page.evaluate("window.scrollTo(0, 0)")
    for _ in range(10):
        if question_section(page, position).is_visible():
            return
        page.click("[data-action=prev]")
    for _ in range(index):
        page.click("[data-action=next]")
    question_section(page, position).wait_for(state="visible")


def test_timed_exam_on_a_phone_survives_a_lost_network(phone, live_server, exam):  # noqa: F811
    page = phone
    log_in(page, live_server.url)
    assert "理论考试" in page.content()
    page.click(f"[data-testid=paper-{exam['paper'].pk}] button[type=submit]")
    page.wait_for_url("**/me/quizzes/attempts/*/")
    attempt = Attempt.objects.get(member=exam["member"])
    timer = page.get_by_test_id("timer")
    page.wait_for_function("document.querySelector('[data-testid=timer]').textContent.startsWith('29:')")
    assert timer.inner_text() >= "29:50"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    single_pos, single_value = shown_correct(attempt, exam["single"])
    go_to(page, attempt, single_pos)
    question_section(page, single_pos).locator("input").nth(single_value).check()
    page.wait_for_function("document.querySelector('[data-testid=save-status]').dataset.state === 'saved'")

    page.context.set_offline(True)
    multiple_slot = attempt.slots.get(question=exam["multiple"])
    go_to(page, attempt, multiple_slot.position)
    for stored in (0, 1, 3):
        question_section(page, multiple_slot.position).locator("input").nth(
            multiple_slot.option_order.index(stored)
        ).check()
    fill_pos = attempt.slots.get(question=exam["fill"]).position
    go_to(page, attempt, fill_pos)
    question_section(page, fill_pos).locator("input").fill("人　民")
    essay_pos = attempt.slots.get(question=exam["essay"]).position
    go_to(page, attempt, essay_pos)
    question_section(page, essay_pos).locator("textarea").fill("坚决做到“两个维护”。")
    page.wait_for_function("document.querySelector('[data-testid=save-status]').dataset.state === 'offline'")
    if os.environ.get("QUIZZES_SCREENSHOTS"):  # a folder to keep what the phone showed
        page.screenshot(path=f"{os.environ['QUIZZES_SCREENSHOTS']}/offline.png", full_page=True)
    assert attempt.slots.filter(saved_at__isnull=False).count() == 1  # only what was sent before

    page.context.set_offline(False)
    page.wait_for_function(
        "document.querySelector('[data-testid=save-status]').dataset.state === 'saved'", timeout=30_000
    )
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=submit]")
    page.wait_for_url("**/result/")
    if os.environ.get("QUIZZES_SCREENSHOTS"):
        page.screenshot(path=f"{os.environ['QUIZZES_SCREENSHOTS']}/result.png", full_page=True)
    assert page.get_by_test_id("marking").is_visible()  # the essay waits for its marker

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.MARKING and not attempt.auto_submitted
    by_question = {slot.question_id: slot for slot in attempt.slots.all()}
    assert by_question[exam["single"].pk].score == 10
    assert by_question[exam["multiple"].pk].score == 10
    assert by_question[exam["fill"].pk].score == 10
    assert by_question[exam["essay"].pk].response == "坚决做到“两个维护”。"
    assert by_question[exam["essay"].pk].needs_marking


def test_when_time_runs_out_on_the_server_the_page_stops_and_shows_the_result(
    phone,  # noqa: F811
    live_server,
    exam,
    frozen_clock,
):
    page = phone
    log_in(page, live_server.url)
    page.click(f"[data-testid=paper-{exam['paper'].pk}] button[type=submit]")
    page.wait_for_url("**/me/quizzes/attempts/*/")
    attempt = Attempt.objects.get(member=exam["member"])
    frozen_clock.shift(timedelta(minutes=31))  # the server's clock decides, not the phone's
    single_pos, single_value = shown_correct(attempt, exam["single"])
    go_to(page, attempt, single_pos)
    question_section(page, single_pos).locator("input").nth(single_value).check()
    page.wait_for_url("**/result/")
    attempt.refresh_from_db()
    assert attempt.auto_submitted and attempt.status == AttemptStatus.RELEASED
    assert attempt.score == 0  # the late answer was refused

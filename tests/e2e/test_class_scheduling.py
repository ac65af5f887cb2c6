"""A township's staff build a class from the 5+1+N template in the admin, are refused publishing
without the oath, fix it, publish and enrol a branch; the member then sees it on their phone."""

import pytest
from playwright.sync_api import expect

from lms.scheduling.models import ClassStatus, TrainingClass
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(county):
    member_user = factories.UserFactory(username="member1", first_name="王建国", password="demo")
    factories.MemberFactory(user=member_user, name="王建国", branch=county["branch_a"])
    staff = factories.UserFactory(username="township1", first_name="李干事", password="demo")
    from lms.people.services import staff_scope_grant

    staff_scope_grant(user=staff, school=county["town_a"])
    return {
        **county,
        "lecturer": factories.TeacherFactory(name="张书记"),
        "guide": factories.TeacherFactory(name="刘讲解员"),
    }


@pytest.fixture
def desktop(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def choose_teacher(page, row: int, name: str):
    """Open the row's teacher chooser, search the name, check they are free then, and choose them."""
    chooser = page.locator(f"#id_sessions-{row}-teacher-chooser")
    if chooser.locator("[data-chooser-action-choose]:visible").count() == 0:
        chooser.locator(".w-dropdown__toggle").click()  # a teacher is chosen: "choose another"
    chooser.locator("[data-chooser-action-choose]:visible").first.click()
    modal = page.locator(".modal-content")
    modal.locator("#id_q").fill(name)
    choice = modal.locator("a[data-chooser-modal-choice]", has_text=name)
    expect(choice).to_have_count(1)
    row_of_teacher = modal.locator("tbody tr", has_text=name)
    expect(row_of_teacher.locator("[data-teacher-availability]")).to_have_attribute(
        "data-teacher-availability", "free"
    )
    choice.click()
    expect(modal).to_have_count(0)
    expect(page.locator(f"#id_sessions-{row}-teacher-title")).to_contain_text(name)


def open_more_actions_and_click(page, label):
    page.locator("header [data-controller='w-dropdown'] button, header .w-dropdown button").first.click()
    page.get_by_role("link", name=label).click()


def test_staff_build_publish_and_enrol_then_member_sees_it(desktop, phone, live_server, people):
    page = desktop
    log_in(page, live_server.url, "township1")
    page.goto(f"{live_server.url}/admin/scheduling/classes/new/")
    kinds = [page.input_value(f"#id_sessions-{i}-kind") for i in range(7)]
    assert kinds == ["sign_in", "anthem", "oath", "constitution", "leader_lecture", "site_visit", "elective"]

    page.fill("#id_title", "冬训班（第1期）")
    page.fill("#id_venue", "报告厅")
    # The page holds no list of teachers: each row's chooser searches the pool at the row's time.
    assert "刘讲解员" not in page.content()
    choose_teacher(page, 4, "张书记")
    choose_teacher(page, 5, "刘讲解员")
    page.select_option("#id_sessions-5-teaching_point", label=people["point_a"].title)
    choose_teacher(page, 6, "刘讲解员")
    page.click("#id_sessions-2-DELETE-button")  # take the oath out
    page.get_by_role("button", name="创建").click()
    page.wait_for_load_state("networkidle")
    training_class = TrainingClass.objects.get(title="冬训班（第1期）")
    assert training_class.status == ClassStatus.DRAFT and not training_class.is_compliant

    open_more_actions_and_click(page, "发布")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "缺少规定动作：重温入党誓词" in page.content()
    training_class.refresh_from_db()
    assert training_class.status == ClassStatus.DRAFT

    # Fix it: add the oath back on the edit page (10 minutes after the anthem), save, publish.
    page.goto(f"{live_server.url}/admin/scheduling/classes/edit/{training_class.pk}/")
    day = page.input_value("#id_sessions-0-starts_at")[:10]
    page.click("#id_sessions-ADD")
    new = page.locator("[id^=id_sessions-][id$=-kind]").count() - 1
    page.select_option(f"#id_sessions-{new}-kind", "oath")
    page.fill(f"#id_sessions-{new}-starts_at", f"{day} 08:50")
    page.fill(f"#id_sessions-{new}-ends_at", f"{day} 09:00")
    # The date picker may still cover the save button: save with the admin's keyboard shortcut.
    with page.expect_navigation():
        page.keyboard.press("Control+s")
    # Not "networkidle": the edit page of the current tree never reaches it in Chromium (the same with
    # the admin code before the teacher chooser); the saved page's load is what matters here.
    page.wait_for_load_state("load")
    training_class.refresh_from_db()
    assert training_class.is_compliant
    open_more_actions_and_click(page, "发布")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    training_class.refresh_from_db()
    assert training_class.status == ClassStatus.PUBLISHED

    # Enrol the member's whole branch.
    page.goto(f"{live_server.url}/admin/scheduling/classes/{training_class.pk}/enrolment/")
    by_branch = page.locator("form:has(input[name=action][value=branch])")
    by_branch.locator("select").select_option(str(people["branch_a"].pk))
    by_branch.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "报名成功 2 人" in page.content()

    # The member sees it on their phone, with the teaching point's visit and the lecturer.
    log_in(phone, live_server.url, "member1")
    phone.goto(f"{live_server.url}/me/classes/")
    text = phone.locator("main").inner_text()
    assert "冬训班（第1期）" in text
    assert people["point_a"].title in text and "张书记" in text
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

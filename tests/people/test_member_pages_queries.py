"""The member's pages (/me/, /me/classes/, /me/hours/) ask the database the same number of times
whether the member has one past class or years of them, several this year and classes to come."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lms import fragments
from lms.scheduling import services as scheduling
from tests import factories
from tests.attendance.conftest import attend

# Every page: the session, the user with their profiles, the bell's unread count. Home adds the courses
# to continue (2) and the recordings to make up (1); classes the recordings to make up; hours the year's
# online study.
PAGES = {
    "home": (reverse("home"), 10),
    "my_classes": (reverse("scheduling:my_classes"), 12),
    "my_hours": (reverse("attendance:my_hours"), 7),
}


def give_history(county, member, *, years: int, this_year: int, coming: int) -> None:
    """Classes of the member's township the member attended (one per earlier year, `this_year` in
    the last months, one ten days ago), `coming` classes enrolled ahead and as many open to join."""
    today = timezone.localdate()
    teacher = factories.TeacherFactory()
    point = factories.teaching_point(county["town_a"])  # its own: the other member's are booked
    days = [today - timedelta(days=10)]
    days += [today - timedelta(days=40 + 20 * n) for n in range(this_year)]
    days += [today - timedelta(days=365 * y + 40) for y in range(1, years + 1)]
    for day in days:
        held = factories.training_class(county["town_a"], day, teacher=teacher, point=point, publish=True)
        for session in held.sessions.all():
            attend(member, session)
    for n in range(coming):
        ahead = factories.training_class(
            county["town_a"],
            today + timedelta(days=10 + 3 * n),
            teacher=teacher,
            point=point,
            publish=True,
        )
        scheduling.enrolment_add(actor=county["org"], training_class=ahead, members=[member])
        factories.training_class(
            county["town_a"],
            today + timedelta(days=11 + 3 * n),
            teacher=teacher,
            point=point,
            publish=True,
            self_enrolment=True,
        )


def queries(client, user, path: str) -> tuple[int, str]:
    client.force_login(user)
    client.get(path)  # the first visit may create the calendar link; count the next one
    fragments.token_renew()  # built, not served from the cache (lms/fragments.py)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("page", list(PAGES))
def test_member_page_queries_do_not_grow_with_history(client, county, page):
    path, most = PAGES[page]
    few, many = county["member_a"], factories.MemberFactory(branch=county["branch_a"])
    give_history(county, few, years=0, this_year=0, coming=1)
    give_history(county, many, years=6, this_year=3, coming=4)
    few_count, _few_page = queries(client, few.user, path)
    many_count, many_page = queries(client, many.user, path)
    assert few_count == many_count <= most, (page, few_count, many_count)
    if page == "my_classes":  # the bigger history is on the page, not skipped
        assert many_page.count('data-testid="enrolment"') == 4
        assert many_page.count('data-testid="open-class"') == 5  # 4 + the other member's one
    if page == "my_hours":
        assert many_page.count('data-testid="attended-class"') == 4  # ten days ago + 3 this year


@pytest.mark.django_db
def test_open_classes_show_the_places_left_and_leave_out_joined_and_other_branches(client, county):
    """The open-class list counts enrolled members in a subquery: places left are right with
    waiting-listed and withdrawn members around, classes for another branch are left out."""
    member = county["member_a"]
    teacher = factories.TeacherFactory()
    day = timezone.localdate() + timedelta(days=12)
    open_class = factories.training_class(
        county["town_a"], day, teacher=teacher, point=county["point_a"], publish=True, self_enrolment=True
    )
    open_class.capacity = 3
    scheduling.training_class_save(actor=None, training_class=open_class)
    others = [factories.MemberFactory(branch=county["branch_a"]) for _ in range(2)]
    scheduling.enrolment_add(actor=county["org"], training_class=open_class, members=others)
    other_branch = factories.BranchFactory(township=county["town_a"], name="丙村党支部")
    factories.training_class(
        county["town_a"],
        day + timedelta(days=1),
        teacher=teacher,
        point=county["point_a"],
        publish=True,
        self_enrolment=True,
        audience_branches=[other_branch],
        title="只给丙村的班",
    )
    client.force_login(member.user)
    page = client.get(reverse("scheduling:my_classes")).content.decode()
    assert page.count('data-testid="open-class"') == 1 and f'data-class="{open_class.pk}"' in page
    assert "只给丙村的班" not in page
    assert page.count("剩余 1 个名额") == 1  # 3 places, 2 enrolled
    scheduling.enrolment_add(actor=county["org"], training_class=open_class, members=[member])
    page = client.get(reverse("scheduling:my_classes")).content.decode()
    assert 'data-testid="open-class"' not in page  # joined: no longer offered

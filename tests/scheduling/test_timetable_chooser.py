"""The timetable editor's teacher chooser and the teaching-point choice (issue 12, part 4).

The class edit page no longer embeds the teacher pool (its size and query count do not grow with
it); the chooser modal lists the pool of the session's year, searches, filters and marks who is busy
at the row's time with the other class's name; teaching points come grouped by township, the class's
own first; a session at another township's teaching point is saved with a notice, on the page, in the
row and in the API.
"""

import json
import re
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lms.people.models import TeacherCategory
from lms.people.roles import Role
from lms.people.services import role_grant
from lms.scheduling import services, teaching_points
from lms.scheduling.models import ClassStatus, Session, SessionKind, TrainingClass
from tests import factories
from tests.scheduling.test_admin import at, class_post, session_row

pytestmark = pytest.mark.django_db

DAY = date(2030, 6, 3)  # a Monday, well ahead
TZ = timezone.get_current_timezone()
CHOOSE = "scheduling_teacher_chooser:choose"
RESULTS = "scheduling_teacher_chooser:choose_results"


def moment(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=TZ).replace(hour=hour, minute=minute)


def row_time(hour: int, minute: int = 0, day: date = DAY) -> str:
    return moment(hour, minute, day).strftime("%Y-%m-%d %H:%M")


def chooser_html(response) -> str:
    """The modal's HTML (a modal-workflow JSON answer) or the results fragment."""
    assert response.status_code == 200, response.status_code
    if response["Content-Type"].startswith("application/json"):
        return json.loads(response.content)["html"]
    return response.content.decode()


def listed_names(html: str) -> list[str]:
    return [
        name.strip() for name in re.findall(r"<a data-chooser-modal-choice[^>]*>\s*([^<]+?)\s*</a>", html)
    ]


def availability(html: str) -> dict[str, str]:
    """Teacher name → "free" / "busy" and the text of the cell, from the chooser's rows."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    found = {}
    for row in rows:
        name = listed_names(row)
        cell = re.search(r'data-teacher-availability="(\w+)">(.*?)</td>', row, re.S)
        if name and cell:
            found[name[0]] = (cell.group(1), re.sub(r"\s+", " ", cell.group(2)))
    return found


def seven_session_class(county, teacher, school="town_a", point="point_a", day=DAY):
    """A class of seven sessions (the 5+1+N template with an elective)."""
    kinds = [kind for kind in SessionKind if kind != SessionKind.EXAM]  # 5, the site visit, an elective
    return services.training_class_create(
        actor=county["staff_a"] if school == "town_a" else county["staff_b"],
        school=county[school],
        title=f"{county[school].title}七课次班",
        start_date=day,
        sessions=factories.class_sessions(day, teacher=teacher, point=county[point], kinds=kinds),
    )


# --- The edit page does not embed the pool ---------------------------------------------------------


def test_edit_page_shows_the_chosen_teacher_but_not_the_pool(client, county):
    chosen = factories.TeacherFactory(name="选中的讲师")
    training_class = seven_session_class(county, chosen)
    assert training_class.sessions.count() == 7
    client.force_login(county["staff_a"])
    url = reverse("scheduling_classes:edit", args=[training_class.pk])

    few = client.get(url).content
    others = [factories.TeacherFactory(name=f"未选教师{n:03d}") for n in range(120)]
    many = client.get(url).content.decode()

    assert "选中的讲师" in many
    assert not any(teacher.name in many for teacher in others)
    # The page does not grow with the pool (a select of 120 names in 8 rows would add ~30 KB).
    assert abs(len(many.encode()) - len(few)) < 200
    # Each row opens the chooser with the class, and reads its own times.
    chooser_url = reverse(CHOOSE) + f"?training_class={training_class.pk}"
    assert chooser_url in many
    assert r"^id_sessions-\\d+-" in many and "starts_at" in many


def test_edit_page_query_count_does_not_grow_with_the_pool(client, county):
    training_class = seven_session_class(county, factories.TeacherFactory())
    client.force_login(county["staff_a"])
    url = reverse("scheduling_classes:edit", args=[training_class.pk])

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    client.get(url)  # warm up caches (content types, site, ...)
    few = count_queries()
    factories.TeacherFactory.create_batch(80)
    # Not more with 80 more teachers (one fewer happens: a short-lived cache the warm-up filled may
    # expire before the first count on a loaded machine, never before the second).
    assert count_queries() <= few


# --- The chooser: lists, searches, filters ---------------------------------------------------------


@pytest.fixture
def pool():
    return {
        "cadre": factories.TeacherFactory(
            name="王书记",
            category=TeacherCategory.LEADING_CADRE,
            organisation="甲镇党委",
            subjects="基层治理",
        ),
        "expert": factories.TeacherFactory(
            name="李教授",
            category=TeacherCategory.EXPERT,
            organisation="市委党校",
            subjects="中共党史，党章党规",
        ),
        "exemplar": factories.TeacherFactory(
            name="赵榜样", category=TeacherCategory.EXEMPLAR, organisation="赵村", subjects="带富经验"
        ),
        "retired": factories.TeacherFactory(name="钱退休", active_from=2015, active_to=2029),
        "newcomer": factories.TeacherFactory(name="孙新人", active_from=2031),
    }


def choose(client, **params):
    return chooser_html(client.get(reverse(CHOOSE), params))


def results(client, **params):
    return chooser_html(client.get(reverse(RESULTS), params))


def test_chooser_lists_the_pool_of_the_sessions_year(client, county, pool):
    client.force_login(county["staff_a"])
    html = choose(client, starts_at=row_time(10), ends_at=row_time(11))
    assert sorted(listed_names(html)) == sorted(["王书记", "李教授", "赵榜样"])
    assert "2030" in html  # the subtitle says which year's pool
    # The same modal for a session in 2031: the newcomer is in, the retired teacher is out.
    html = choose(
        client, starts_at=row_time(10, day=date(2031, 6, 2)), ends_at=row_time(11, day=date(2031, 6, 2))
    )
    assert "孙新人" in listed_names(html) and "钱退休" not in listed_names(html)


def test_without_a_time_the_chooser_lists_this_years_pool(client, county, pool):
    with time_machine.travel(datetime(2029, 3, 1, 9, tzinfo=TZ)):
        client.force_login(county["staff_a"])
        names = listed_names(choose(client))
    assert "钱退休" in names and "孙新人" not in names
    with time_machine.travel(datetime(2031, 3, 1, 9, tzinfo=TZ)):
        client.force_login(county["staff_a"])
        names = listed_names(choose(client))
    assert "孙新人" in names and "钱退休" not in names


def test_chooser_searches_and_filters(client, county, pool):
    client.force_login(county["staff_a"])
    when = {"starts_at": row_time(10), "ends_at": row_time(11)}
    assert listed_names(results(client, q="李", **when)) == ["李教授"]
    assert listed_names(results(client, q="市委党校", **when)) == ["李教授"]  # by organisation
    assert listed_names(results(client, category=TeacherCategory.EXEMPLAR, **when)) == ["赵榜样"]
    assert listed_names(results(client, category=TeacherCategory.LEADING_CADRE, **when)) == ["王书记"]
    # Subjects are offered from the pool's own words, and filter.
    html = choose(client, **when)
    assert '<option value="中共党史">' in html and '<option value="带富经验">' in html
    assert listed_names(results(client, subject="党章党规", **when)) == ["李教授"]
    assert listed_names(results(client, subject="党章党规", category=TeacherCategory.EXEMPLAR, **when)) == []
    # Search and filter links keep the row's time and class.
    assert "starts_at=2030-06-03" in html


# --- Free or busy at the row's time ----------------------------------------------------------------


def test_chooser_marks_who_is_busy_at_that_time(client, county, pool):
    editing = seven_session_class(county, pool["cadre"], day=DAY)  # the cadre teaches 12:00–15:00 here

    def other_class(teacher, title, lecture_from, lecture_to, cancelled=False, hour=10):
        """A town_b class that day whose lecture (the only session of `teacher` near 10:00) is moved."""
        created = factories.training_class(
            county["town_b"],
            DAY,
            teacher=teacher,
            point=factories.teaching_point(county["town_b"]),
            hour=hour,
            title=title,
        )
        Session.objects.filter(training_class=created, kind=SessionKind.LEADER_LECTURE).update(
            starts_at=lecture_from, ends_at=lecture_to
        )
        if cancelled:
            TrainingClass.objects.filter(pk=created.pk).update(
                status=ClassStatus.CANCELLED, cancel_reason="停课"
            )
        return created

    # The expert lectures in another township's class 10:30–11:30: busy from 10:00 to 11:00.
    other_class(pool["expert"], "乙镇冬训班", moment(10, 30), moment(11, 30))
    # The exemplar's lecture ends at 10:00 sharp (half-open: free), and a cancelled class overlaps.
    other_class(pool["exemplar"], "早班", moment(9), moment(10))
    other_class(pool["exemplar"], "停课的班", moment(10), moment(11), cancelled=True, hour=16)

    client.force_login(county["staff_a"])
    when = {"starts_at": row_time(10), "ends_at": row_time(11), "training_class": editing.pk}
    marks = availability(choose(client, **when))
    assert marks["李教授"][0] == "busy" and "乙镇冬训班" in marks["李教授"][1]
    assert marks["赵榜样"][0] == "free"
    assert marks["王书记"][0] == "free"
    # The cadre's own bookings in the class being edited do not count (checked on save instead)…
    when_cadre = {"starts_at": row_time(12), "ends_at": row_time(14)}
    assert availability(choose(client, **when_cadre, training_class=editing.pk))["王书记"][0] == "free"
    # …but from another class's editor the cadre is busy with this one.
    marks = availability(choose(client, **when_cadre))
    assert marks["王书记"][0] == "busy" and editing.title in marks["王书记"][1]
    # "Only teachers free at that time" leaves the busy ones out.
    names = listed_names(results(client, free_only="on", **when))
    assert "李教授" not in names and {"王书记", "赵榜样"} <= set(names)


def test_choosing_a_busy_teacher_is_still_refused_on_save(client, county, pool):
    factories.training_class(
        county["town_b"], DAY, teacher=pool["expert"], point=county["point_b"], hour=10, title="乙镇已排班"
    )
    client.force_login(county["staff_a"])
    response = client.post(reverse("scheduling_classes:add"), class_post(county, pool["expert"]))
    assert response.status_code == 200
    assert any("乙镇已排班" in error for error in response.context["form"].non_field_errors())
    assert not TrainingClass.objects.filter(school=county["town_a"]).exists()


def test_chosen_answers_with_the_teacher(client, county, pool):
    client.force_login(county["staff_a"])
    response = client.get(reverse("scheduling_teacher_chooser:chosen", args=[pool["expert"].pk]))
    data = json.loads(response.content)
    assert data["step"] == "chosen"
    assert data["result"]["id"] == str(pool["expert"].pk)
    assert data["result"]["title"].startswith("李教授")


def test_only_staff_who_schedule_classes_may_open_the_chooser(client, county, pool):
    teacher_user = factories.UserFactory(username="teacher_user")
    role_grant(user=teacher_user, role=Role.TEACHER)
    pool["cadre"].user = teacher_user
    pool["cadre"].save(update_fields=["user"])
    for user in (teacher_user, county["member_a"].user):
        client.force_login(user)
        for url in (reverse(CHOOSE), reverse("scheduling_teacher_chooser:chosen", args=[pool["expert"].pk])):
            response = client.get(url)
            assert response.status_code in (302, 403), (user, url, response.status_code)
            assert "李教授" not in response.content.decode()
    for user in (county["city_staff"], county["org"]):
        client.force_login(user)
        assert "李教授" in listed_names(choose(client))


def test_chooser_has_no_create_tab_and_no_teacher_list_in_other_forms(client, county, pool):
    client.force_login(county["org"])
    html = choose(client)
    assert "tab-create" not in html
    # The pool's own admin forms are untouched by the chooser (it is not registered for every
    # ForeignKey to Teacher).
    from lms.scheduling.admin.teacher_chooser import teacher_chooser_viewset

    assert teacher_chooser_viewset.register_widget is False


# --- Teaching points by township --------------------------------------------------------------------


def optgroups(html: str, field: str) -> list[tuple[str, list[str]]]:
    select = re.search(rf'<select name="{field}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [
        (label, re.findall(r"<option value=\"\d+\"[^>]*>([^<]+)</option>", body))
        for label, body in re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S)
    ]


def test_teaching_points_are_grouped_by_township_own_first(client, county):
    extra_a = factories.teaching_point(county["town_a"], title="甲镇第二教学点")
    town_c = factories.township_school(county["city"], "丙镇党校")
    factories.teaching_point(town_c, title="丙镇教学点")
    own = seven_session_class(county, factories.TeacherFactory())
    foreign = seven_session_class(county, factories.TeacherFactory(), school="town_b", point="point_b")

    client.force_login(county["staff_a"])
    groups = optgroups(
        client.get(reverse("scheduling_classes:edit", args=[own.pk])).content.decode(),
        "sessions-5-teaching_point",
    )
    assert [label for label, _points in groups] == ["甲镇党校", "乙镇党校", "丙镇党校"]
    assert groups[0][1] == [county["point_a"].title, extra_a.title]
    assert groups[1][1] == [county["point_b"].title]

    client.force_login(county["staff_b"])
    page = client.get(reverse("scheduling_classes:edit", args=[foreign.pk])).content.decode()
    assert [label for label, _points in optgroups(page, "sessions-5-teaching_point")] == [
        "乙镇党校",
        "甲镇党校",
        "丙镇党校",
    ]
    # The new-row template has the same groups.
    assert optgroups(page, "sessions-__prefix__-teaching_point")[0][0] == "乙镇党校"


def test_the_add_page_groups_points_with_the_users_township_first(client, county):
    client.force_login(county["staff_b"])
    page = client.get(reverse("scheduling_classes:add")).content.decode()
    assert [label for label, _points in optgroups(page, "sessions-5-teaching_point")] == [
        "乙镇党校",
        "甲镇党校",
    ]


# --- Another township's teaching point: allowed, but said -----------------------------------------


NOTICE = "属于乙镇党校，不在本班所属镇街"


def site_visit_rows(teacher, point):
    return [
        session_row(SessionKind.SIGN_IN, at(8, 30), at(8, 45)),
        session_row(SessionKind.ANTHEM, at(8, 45), at(8, 50)),
        session_row(SessionKind.OATH, at(8, 50), at(9)),
        session_row(SessionKind.CONSTITUTION, at(9), at(10)),
        session_row(SessionKind.LEADER_LECTURE, at(10, 10), at(11, 40), teacher=teacher),
        session_row(SessionKind.SITE_VISIT, at(14), at(16), teacher=teacher, point=point),
    ]


def test_another_townships_point_is_saved_with_a_notice(client, county):
    teacher = factories.TeacherFactory(name="王老师")
    client.force_login(county["staff_a"])
    data = class_post(county, teacher, rows=site_visit_rows(teacher, county["point_b"]))
    response = client.post(reverse("scheduling_classes:add"), data)
    assert response.status_code == 302, response.context["form"].errors
    training_class = TrainingClass.objects.get()
    assert training_class.is_compliant  # allowed…
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    notices = [m for m in shown if NOTICE in m]  # …but said
    assert len(notices) == 1 and county["point_b"].title in notices[0]

    # The edit page says it in the site visit's row, and only there.
    page = client.get(response.url).content.decode()
    lines = re.findall(r"<p data-teaching-point-notice>(.*?)</p>", page, re.S)
    assert len(lines) == 1 and NOTICE in lines[0]
    row = page[
        page.index('id="inline_child_sessions-5"') : page.index('id="inline_child_sessions-__prefix__"')
    ]
    assert "data-teaching-point-notice" in row

    # The API tells the staff who manage it, not the public.
    url = f"/api/v1/classes/{training_class.pk}"
    assert any(NOTICE in n for n in client.get(url).json()["notices"])
    services.training_class_publish(actor=county["staff_a"], training_class=training_class)
    client.force_login(county["member_b"].user)
    assert client.get(url).json()["notices"] == []


def test_own_townships_point_has_no_notice(client, county):
    teacher = factories.TeacherFactory()
    client.force_login(county["staff_a"])
    data = class_post(county, teacher, rows=site_visit_rows(teacher, county["point_a"]))
    response = client.post(reverse("scheduling_classes:add"), data)
    assert response.status_code == 302, response.context["form"].errors
    assert not any("不在本班所属镇街" in str(m) for m in get_messages(response.wsgi_request))
    page = client.get(response.url).content.decode()
    assert "data-teaching-point-notice" not in page
    training_class = TrainingClass.objects.get()
    assert client.get(f"/api/v1/classes/{training_class.pk}").json()["notices"] == []


def test_city_school_classes_visit_any_township_without_notice(county):
    teacher = factories.TeacherFactory()
    city_class = services.training_class_create(
        actor=county["city_staff"],
        school=county["city"],
        title="市委党校班",
        start_date=DAY,
        sessions=factories.class_sessions(DAY, teacher=teacher, point=county["point_b"]),
    )
    assert teaching_points.outside_township_notices(city_class) == []
    town_class = seven_session_class(county, teacher, point="point_b", day=DAY + timedelta(days=1))
    notices = teaching_points.outside_township_notices(town_class)
    assert [(n.session_index, n.township) for n in notices] == [(5, "乙镇党校")]

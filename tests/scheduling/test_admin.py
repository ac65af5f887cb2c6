"""The training-class admin: created from the 5+1+N template and saved through the service, published
only when compliant, scoped per township on every view, enrolment, cancel, copy, the compliance
overview, and an index whose query count does not grow with the rows."""

from datetime import date, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from lms.scheduling import services
from lms.scheduling.models import (
    MANDATORY_KINDS,
    ClassStatus,
    Enrollment,
    EnrollmentStatus,
    SessionKind,
    TrainingClass,
)
from tests import factories

pytestmark = pytest.mark.django_db

DAY = date(2030, 6, 3)  # a Monday, well ahead
TZ = timezone.get_current_timezone()


@pytest.fixture
def teacher():
    return factories.TeacherFactory(name="王老师")


def make_class(county, school="town_a", day=DAY, teacher=None, **fields):
    point = county["point_b"] if school == "town_b" else county["point_a"]
    return factories.training_class(
        county[school], day, teacher=teacher or factories.TeacherFactory(), point=point, **fields
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def listed(response) -> set[int]:
    assert response.status_code == 200
    return {obj.pk for obj in response.context["object_list"]}


def at(hour: int, minute: int = 0, day: date = DAY) -> str:
    return (
        datetime.combine(day, datetime.min.time())
        .replace(hour=hour, minute=minute)
        .strftime("%Y-%m-%d %H:%M")
    )


def session_row(kind, start, end, *, teacher=None, point=None, title=""):
    return {
        "id": "",
        "kind": kind,
        "title": title,
        "starts_at": start,
        "ends_at": end,
        "teacher": teacher.pk if teacher else "",
        "teaching_point": point.pk if point else "",
        "venue": "",
        "delivery": "in_person",
        "course": "",
    }


def class_post(county, teacher, *, school="town_a", rows=None, **overrides):
    if rows is None:
        rows = [
            session_row(SessionKind.SIGN_IN, at(8, 30), at(8, 45)),
            session_row(SessionKind.ANTHEM, at(8, 45), at(8, 50)),
            session_row(SessionKind.OATH, at(8, 50), at(9)),
            session_row(SessionKind.CONSTITUTION, at(9), at(10)),
            session_row(SessionKind.LEADER_LECTURE, at(10, 10), at(11, 40), teacher=teacher),
            session_row(SessionKind.SITE_VISIT, at(14), at(16), teacher=teacher, point=county["point_a"]),
        ]
    data = {
        "school": county[school].pk,
        "title": "2030年第一期党员培训班",
        "description": "",
        "start_date": DAY.isoformat(),
        "end_date": DAY.isoformat(),
        "capacity": "40",
        "venue": "党校一楼教室",
        "planned_class": "",
        "sessions": inline_formset(rows),
    }
    data.update(overrides)
    # Multiple choices go in as lists (nested_form_data would number them).
    return nested_form_data(data) | {
        "audience_categories": ["ordinary"],
        "audience_branches": [county["branch_a"].pk],
    }


# --- Create from the template, edit, publish -------------------------------------------------------


def test_add_view_starts_from_the_template(client, county):
    client.force_login(county["staff_a"])
    response = client.get(reverse("scheduling_classes:add"))
    assert response.status_code == 200
    form = response.context["form"]
    kinds = [f.initial["kind"] for f in form.formsets["sessions"].forms]
    assert kinds == [*MANDATORY_KINDS, SessionKind.SITE_VISIT, SessionKind.ELECTIVE]
    first = form.formsets["sessions"].forms[0].initial["starts_at"]
    assert (
        timezone.localtime(first).weekday() == 0 and timezone.localtime(first).date() > timezone.localdate()
    )
    # Only the user's own school and branches are offered; the one school is chosen already.
    assert list(form.fields["school"].queryset) == [county["town_a"].page_ptr]
    assert form.initial["school"] == county["town_a"].pk
    assert list(form.fields["audience_branches"].queryset) == [county["branch_a"]]


def test_compliant_class_is_created_from_the_form_and_published(client, county, teacher):
    client.force_login(county["staff_a"])
    response = client.post(reverse("scheduling_classes:add"), class_post(county, teacher))
    assert response.status_code == 302, response.context["form"].errors
    training_class = TrainingClass.objects.get(title="2030年第一期党员培训班")
    assert response.url == reverse("scheduling_classes:edit", args=[training_class.pk])
    assert training_class.is_compliant and training_class.status == ClassStatus.DRAFT
    assert training_class.created_by == county["staff_a"]
    assert training_class.audience_categories == ["ordinary"]
    assert list(training_class.audience_branches.all()) == [county["branch_a"]]
    sessions = list(training_class.sessions.order_by("sort_order"))
    assert [s.kind for s in sessions] == [*MANDATORY_KINDS, SessionKind.SITE_VISIT]
    assert sessions[0].starts_at == datetime(2030, 6, 3, 8, 30, tzinfo=TZ)

    edit_page = client.get(response.url).content.decode()
    assert "可以发布" in edit_page  # "the class can be published"

    response = client.post(reverse("scheduling_classes:publish", args=[training_class.pk]))
    assert response.status_code == 302
    training_class.refresh_from_db()
    assert training_class.status == ClassStatus.PUBLISHED
    assert training_class.published_at is not None


def test_editing_the_timetable_goes_through_the_service(client, county, teacher):
    training_class = make_class(county, teacher=teacher, actor=county["staff_a"])
    client.force_login(county["staff_a"])
    url = reverse("scheduling_classes:edit", args=[training_class.pk])
    sessions = list(training_class.sessions.order_by("sort_order"))
    rows = []
    for session in sessions:
        row = session_row(
            session.kind,
            timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M"),
            timezone.localtime(session.ends_at).strftime("%Y-%m-%d %H:%M"),
            teacher=session.teacher,
            point=session.teaching_point,
        )
        row["id"] = session.pk
        rows.append(row)
    data = class_post(county, teacher, rows=rows, title="改过的班")
    data["sessions-INITIAL_FORMS"] = str(len(rows))
    data[f"sessions-{len(rows) - 1}-DELETE"] = "1"  # drop the site visit: a draft that no longer complies
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    training_class.refresh_from_db()
    assert training_class.title == "改过的班"
    assert not training_class.is_compliant
    assert training_class.sessions.count() == len(sessions) - 1
    assert any("5+1+N" in m for m in messages_of(response))
    # The edit page names what is missing.
    page = client.get(url).content.decode()
    assert "缺少“+1”" in page  # "no session at a teaching point (the +1)"


def test_service_refusal_is_shown_on_the_form_and_nothing_is_saved(client, county, teacher):
    busy = make_class(county, teacher=teacher, hour=10, title="已排的班")  # same teacher and point that day
    client.force_login(county["staff_a"])
    response = client.post(reverse("scheduling_classes:add"), class_post(county, teacher))
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    # Every clash is listed (the teacher's and the teaching point's), not only the first.
    assert len(errors) >= 2 and all("已安排在" in error or "已被" in error for error in errors), errors
    assert busy.title in response.content.decode()
    assert TrainingClass.objects.get() == busy


def test_a_foreign_school_is_not_a_choice(client, county, teacher):
    client.force_login(county["staff_a"])
    response = client.post(reverse("scheduling_classes:add"), class_post(county, teacher, school="town_b"))
    assert response.status_code == 200
    assert "school" in response.context["form"].errors
    assert not TrainingClass.objects.exists()


def test_class_missing_the_oath_is_refused_on_publish(client, county, teacher):
    kinds = [kind for kind in SessionKind if kind not in (SessionKind.OATH, SessionKind.ELECTIVE)]
    training_class = services.training_class_create(
        actor=county["staff_a"],
        school=county["town_a"],
        title="缺誓词的班",
        start_date=DAY,
        sessions=factories.class_sessions(DAY, teacher=teacher, point=county["point_a"], kinds=kinds),
    )
    client.force_login(county["staff_a"])
    oath = str(SessionKind.OATH.label)
    # The confirmation page and the edit page already say what is missing.
    assert (
        oath in client.get(reverse("scheduling_classes:publish", args=[training_class.pk])).content.decode()
    )
    assert oath in client.get(reverse("scheduling_classes:edit", args=[training_class.pk])).content.decode()

    response = client.post(reverse("scheduling_classes:publish", args=[training_class.pk]))
    assert response.status_code == 302
    assert response.url == reverse("scheduling_classes:edit", args=[training_class.pk])
    errors = messages_of(response)
    assert any(oath in message for message in errors), errors
    training_class.refresh_from_db()
    assert training_class.status == ClassStatus.DRAFT
    assert not training_class.is_compliant


def test_back_to_draft(client, county):
    training_class = make_class(county, actor=county["staff_a"], publish=True)
    client.force_login(county["staff_a"])
    response = client.post(reverse("scheduling_classes:unpublish", args=[training_class.pk]))
    assert response.status_code == 302
    training_class.refresh_from_db()
    assert training_class.status == ClassStatus.DRAFT


# --- Cancel and copy -------------------------------------------------------------------------------


def test_cancel_needs_a_reason(client, county):
    training_class = make_class(county, actor=county["staff_a"], publish=True)
    client.force_login(county["staff_a"])
    url = reverse("scheduling_classes:cancel", args=[training_class.pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    training_class.refresh_from_db()
    assert training_class.status == ClassStatus.PUBLISHED

    response = client.post(url, {"reason": "汛期停课"})
    assert response.status_code == 302
    training_class.refresh_from_db()
    assert (training_class.status, training_class.cancel_reason) == (ClassStatus.CANCELLED, "汛期停课")


def test_copy_moves_the_timetable_to_the_new_date(client, county):
    training_class = make_class(county, actor=county["staff_a"], publish=True)
    client.force_login(county["staff_a"])
    new_day = DAY + timedelta(days=14)
    response = client.post(
        reverse("scheduling_classes:copy", args=[training_class.pk]), {"start_date": new_day.isoformat()}
    )
    assert response.status_code == 302
    copy = TrainingClass.objects.exclude(pk=training_class.pk).get()
    assert response.url == reverse("scheduling_classes:edit", args=[copy.pk])
    assert (copy.start_date, copy.status, copy.title) == (new_day, ClassStatus.DRAFT, training_class.title)
    original = [(s.kind, s.starts_at) for s in training_class.sessions.order_by("sort_order")]
    copied = [(s.kind, s.starts_at) for s in copy.sessions.order_by("sort_order")]
    assert copied == [(kind, start + timedelta(days=14)) for kind, start in original]


# --- Scoping ---------------------------------------------------------------------------------------


CLASS_VIEWS = ["edit", "publish", "unpublish", "cancel", "copy", "enrolment", "delete", "history"]


@pytest.mark.parametrize("view", CLASS_VIEWS)
def test_another_townships_class_is_not_found(client, county, view):
    foreign = make_class(county, school="town_b", actor=county["staff_b"])
    client.force_login(county["staff_a"])
    url = reverse(f"scheduling_classes:{view}", args=[foreign.pk])
    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"reason": "x", "start_date": "2030-07-01", "action": "branch"}).status_code == 404
    )
    foreign.refresh_from_db()
    assert foreign.status == ClassStatus.DRAFT
    assert TrainingClass.objects.count() == 1


def test_index_lists_only_the_users_classes(client, county):
    own = make_class(county, actor=county["staff_a"])
    foreign = make_class(county, school="town_b", actor=county["staff_b"])
    client.force_login(county["staff_a"])
    assert listed(client.get(reverse("scheduling_classes:index"))) == {own.pk}
    # Filtering by the foreign school cannot widen the list.
    assert foreign.pk not in listed(
        client.get(reverse("scheduling_classes:index"), {"school": county["town_b"].pk})
    )
    for user in (county["city_staff"], county["org"]):
        client.force_login(user)
        assert listed(client.get(reverse("scheduling_classes:index"))) == {own.pk, foreign.pk}


def test_index_filters(client, county):
    compliant = make_class(county, actor=county["staff_a"], publish=True)
    kinds = [kind for kind in SessionKind if kind != SessionKind.ANTHEM]
    draft = services.training_class_create(
        actor=county["staff_a"],
        school=county["town_a"],
        title="草稿",
        start_date=DAY + timedelta(days=400),
        sessions=factories.class_sessions(
            DAY + timedelta(days=400),
            teacher=factories.TeacherFactory(),
            point=county["point_a"],
            kinds=kinds,
        ),
    )
    client.force_login(county["staff_a"])
    url = reverse("scheduling_classes:index")
    assert listed(client.get(url, {"is_compliant": "false"})) == {draft.pk}
    assert listed(client.get(url, {"status": "published"})) == {compliant.pk}
    assert listed(client.get(url, {"year": DAY.year})) == {compliant.pk}
    page = client.get(url).content.decode()
    assert "不符合5+1+N" in page and page.count("符合5+1+N") > page.count("不符合5+1+N")


def test_index_query_count_does_not_grow_with_rows(client, county):
    client.force_login(county["org"])
    url = reverse("scheduling_classes:index")
    teacher = factories.TeacherFactory()

    def add_classes(first: int, count: int):
        for i in range(first, first + count):
            school = "town_a" if i % 2 else "town_b"
            training_class = make_class(county, school=school, day=DAY + timedelta(days=i), teacher=teacher)
            services.enrolment_add(
                actor=county["org"], training_class=training_class, members=[county["member_a"]]
            )

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    add_classes(0, 3)
    client.get(url)  # warm up caches (content types, site, ...)
    few = count_queries()
    add_classes(3, 9)
    assert TrainingClass.objects.count() == 12
    assert count_queries() == few


# --- Enrolment -------------------------------------------------------------------------------------


def enrol_url(training_class):
    return reverse("scheduling_classes:enrolment", args=[training_class.pk])


def test_staff_enrol_by_hand_branch_and_category(client, county):
    training_class = make_class(county, actor=county["staff_a"], publish=True)
    other = factories.MemberFactory(branch=county["branch_a"], category="village_cadre")
    client.force_login(county["staff_a"])
    response = client.post(
        enrol_url(training_class), {"action": "members", "members-members": [county["member_a"].pk]}
    )
    assert response.status_code == 302
    assert any("1" in m for m in messages_of(response))
    response = client.post(
        enrol_url(training_class), {"action": "branch", "branch-branch": county["branch_a"].pk}
    )
    assert response.status_code == 302
    enrolled = set(
        Enrollment.objects.filter(
            training_class=training_class, status=EnrollmentStatus.ENROLLED
        ).values_list("member_id", flat=True)
    )
    assert enrolled == {county["member_a"].pk, other.pk}

    page = client.get(enrol_url(training_class))
    assert {e.member for e in page.context["enrolled"]} == {county["member_a"], other}
    # Withdraw one.
    enrollment = Enrollment.objects.get(training_class=training_class, member=other)
    response = client.post(enrol_url(training_class), {"action": "withdraw", "enrollment": enrollment.pk})
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.WITHDRAWN
    # By category, within the township.
    response = client.post(
        enrol_url(training_class),
        {
            "action": "category",
            "category-category": "village_cadre",
            "category-township": county["town_a"].pk,
        },
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ENROLLED


def test_member_picker_lists_search_matches_but_accepts_any_reachable_member(client, county):
    training_class = make_class(county, actor=county["staff_a"], publish=True)
    found = factories.MemberFactory(branch=county["branch_a"], name="欧阳娜", phone="13712345678")
    client.force_login(county["staff_a"])
    page = client.get(enrol_url(training_class), {"q": "欧阳"})
    listed = [
        int(value) for value, _label in page.context["forms"]["members"].fields["members"].widget.choices
    ]
    assert listed == [found.pk]
    # A member not in the current list can still be enrolled (the list is only a view of the search).
    response = client.post(
        enrol_url(training_class), {"action": "members", "members-members": [county["member_a"].pk]}
    )
    assert response.status_code == 302
    assert Enrollment.objects.filter(training_class=training_class, member=county["member_a"]).exists()


def test_township_staff_cannot_enrol_another_townships_member(client, county):
    training_class = make_class(county, actor=county["staff_a"], publish=True)
    member_b = county["member_b"]
    client.force_login(county["staff_a"])
    form = client.get(enrol_url(training_class)).context["forms"]["members"]
    assert list(form.fields["members"].queryset) == [county["member_a"]]
    # Picked by id: not a valid choice.
    response = client.post(enrol_url(training_class), {"action": "members", "members-members": [member_b.pk]})
    assert response.status_code == 200
    assert "members" in response.context["forms"]["members"].errors
    # By phone: refused, with the reason.
    response = client.post(enrol_url(training_class), {"action": "members", "members-phones": member_b.phone})
    assert response.status_code == 302
    assert any(member_b.phone in m for m in messages_of(response))
    # A foreign branch is not a choice either.
    response = client.post(
        enrol_url(training_class), {"action": "branch", "branch-branch": county["branch_b"].pk}
    )
    assert response.status_code == 200
    assert not Enrollment.objects.filter(member=member_b).exists()

    # The city school's staff reach every township.
    client.force_login(county["city_staff"])
    response = client.post(enrol_url(training_class), {"action": "members", "members-phones": member_b.phone})
    assert response.status_code == 302
    assert Enrollment.objects.get(member=member_b).status == EnrollmentStatus.ENROLLED


def test_refused_members_are_listed_with_the_reason(client, county):
    """A member already in another class at the same time is refused, and the message says why."""
    teacher = factories.TeacherFactory()
    busy = make_class(county, actor=county["staff_a"], publish=True, teacher=teacher)
    services.enrolment_add(actor=county["staff_a"], training_class=busy, members=[county["member_a"]])
    clash = factories.training_class(
        county["town_a"], DAY, teacher=factories.TeacherFactory(), point=county["point_b"], title="同时的班"
    )
    client.force_login(county["staff_a"])
    response = client.post(
        enrol_url(clash), {"action": "members", "members-members": [county["member_a"].pk]}
    )
    assert response.status_code == 302
    shown = messages_of(response)
    assert any("1" in m for m in shown)  # the summary counts the refusal
    assert any(m.startswith(county["member_a"].name) for m in shown), shown
    assert not Enrollment.objects.filter(training_class=clash).exists()


# --- Compliance overview ---------------------------------------------------------------------------


def test_compliance_overview_lists_drafts_for_org_dept_only(client, county):
    kinds = [kind for kind in SessionKind if kind not in (SessionKind.OATH, SessionKind.ELECTIVE)]
    draft = services.training_class_create(
        actor=county["staff_b"],
        school=county["town_b"],
        title="乙镇缺誓词的班",
        start_date=DAY,
        sessions=factories.class_sessions(
            DAY, teacher=factories.TeacherFactory(), point=county["point_b"], kinds=kinds
        ),
    )
    make_class(county, actor=county["staff_a"], publish=True)
    url = reverse("scheduling_compliance:index")
    for user in (county["org"], county["city_staff"]):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        assert draft.title in page and str(SessionKind.OATH.label) in page
        schools = response.context["schools"]
        assert [(s["school"].pk, len(s["rows"]), s["non_compliant"]) for s in schools] == [
            (county["town_b"].pk, 1, 1)
        ]
    client.force_login(county["staff_a"])
    assert client.get(url).status_code == 403
    assert url not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_compliance_overview_query_count_does_not_grow(client, county):
    client.force_login(county["org"])
    url = reverse("scheduling_compliance:index")
    teacher = factories.TeacherFactory()

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for i in range(2):
        make_class(county, school="town_b", day=DAY + timedelta(days=i), teacher=teacher)
    client.get(url)
    few = count_queries()
    for i in range(2, 8):
        make_class(
            county, school="town_a" if i % 2 else "town_b", day=DAY + timedelta(days=i), teacher=teacher
        )
    assert count_queries() == few

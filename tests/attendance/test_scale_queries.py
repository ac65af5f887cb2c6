"""Staff pages at county scale (issue 13): the roll-call list and the hours reports cost the same
number of queries however many members, sessions and years of history there are; the roll-call
list's SQL has one row per session (no joined counts); who is behind and the hours shown agree with
each member's own ledger."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lms.attendance import selectors, services
from lms.attendance.admin import reports_behind
from lms.attendance.admin.reports_townships import township_summary
from lms.attendance.models import LeaveRequest, LeaveScope, LeaveSession, LeaveStatus
from lms.people.models import MemberCategory
from tests import factories
from tests.attendance.conftest import attend, enrol_ahead, on

YEAR = 2026
ROLL_CALL = reverse("attendance_rollcall:index")
BEHIND = reverse("attendance_hours_behind:index")
TOWNSHIPS = reverse("attendance_hours_townships:index")


def queries(client, url, params=None) -> tuple[int, object]:
    client.get(url, params or {})  # warm: the first request also reads the admin's settings
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured), response


# --- Roll-call list ------------------------------------------------------------------------------


def pending_leave(member, training_class, sessions):
    leave = LeaveRequest.objects.create(
        training_class=training_class, member=member, scope=LeaveScope.CLASS, reason="家中有事"
    )
    for session in sessions:
        LeaveSession.objects.create(leave=leave, session=session, member=member, status=LeaveStatus.PENDING)


def fill_class(held, training_class, count: int):
    """`count` more members of township A enrolled in the class, each marked at every session but the
    last, and every third with a pending leave request for the whole class."""
    members = [factories.MemberFactory(branch=held["branch_a"]) for _ in range(count)]
    enrol_ahead(training_class, members, held["org"])
    sessions = list(training_class.sessions.order_by("starts_at"))
    for n, member in enumerate(members):
        for session in sessions[:-1]:
            attend(member, session)
        if n % 3 == 0:
            pending_leave(member, training_class, sessions[-1:])
    return members


def test_roll_call_list_sql_has_one_row_per_session_and_no_joined_counts(held):
    fill_class(held, held["training_class"], 6)
    sessions = selectors.staff_sessions(held["staff_a"])
    sql = str(sessions.query)
    # Counted in their own subqueries: joining enrolments × records × leave multiplied the rows
    # (18–93 s for a class of 1,200).
    for table in ("scheduling_enrollment", "attendance_attendancerecord", "attendance_leavesession"):
        assert not re.search(rf'JOIN "{table}"', sql), table
    assert "GROUP BY" not in sql and "DISTINCT" not in sql
    ids = list(sessions.values_list("id", flat=True))
    assert sorted(ids) == sorted(held["training_class"].sessions.values_list("id", flat=True))
    by_id = {session.pk: session for session in sessions}
    last = held["training_class"].sessions.order_by("starts_at").last()
    first = held["training_class"].sessions.order_by("starts_at").first()
    # member_a and the six: 7 enrolled; the six marked at all but the last session; 2 pending leaves.
    assert (by_id[first.pk].enrolled_count, by_id[first.pk].marked_count) == (7, 6)
    assert (by_id[last.pk].marked_count, by_id[last.pk].pending_leave_count) == (0, 2)
    assert by_id[first.pk].pending_leave_count == 0


def test_roll_call_list_queries_do_not_grow_with_members_sessions_or_classes(client, held, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: held["at"](-60))
    client.force_login(held["staff_a"])
    fill_class(held, held["training_class"], 2)
    few, response = queries(client, ROLL_CALL)
    shown = {s.pk: s for _label, group, _key in response.context["groups"] for s in group}
    assert len(shown) == held["training_class"].sessions.count()

    fill_class(held, held["training_class"], 6)
    other = factories.training_class(
        held["town_a"],
        held["training_class"].start_date,
        teacher=factories.TeacherFactory(),
        point=held["point_a"],
        publish=True,
        hour=15,
    )
    fill_class(held, other, 3)
    many, response = queries(client, ROLL_CALL)
    assert many == few
    shown = {s.pk: s for _label, group, _key in response.context["groups"] for s in group}
    assert len(shown) == held["training_class"].sessions.count() + other.sessions.count()
    lecture = shown[held["lecture"].pk]
    assert lecture.enrolled_count == 9 and lecture.pending_leave_count == 0
    page = response.content.decode()
    assert f"{lecture.marked_count} / 9" in page


# --- Members behind and the township summary -----------------------------------------------------


@pytest.fixture
def history(county, classes):
    """Township A's members trained in one year (YEAR) or more (`add_years`); `add_members` adds
    members of both townships, some of whom attend."""
    made = {"classes": {}}

    def class_in(year, school="town_a"):
        key = (year, school)
        if key not in made["classes"]:
            point = county["point_b"] if school == "town_b" else county["point_a"]
            made["classes"][key] = list(
                classes(
                    county[school], on(year, 3, 2 if school == "town_a" else 3), point=point
                ).sessions.order_by("starts_at")
            )
        return made["classes"][key]

    def add_members(count: int, years=(YEAR,)):
        members = []
        for n in range(count):
            branch = county["branch_a"] if n % 2 else county["branch_b"]
            category = MemberCategory.VILLAGE_CADRE if n % 3 == 0 else MemberCategory.ORDINARY
            member = factories.MemberFactory(branch=branch, category=category)
            for year in years:
                # at their own township: village cadres six hours of twelve (behind), every other
                # ordinary member one hour (behind), the rest six hours (met)
                school = "town_a" if branch == county["branch_a"] else "town_b"
                for session in class_in(year, school)[: (6, 1, 6)[n % 3]]:
                    attend(member, session)
            members.append(member)
        return members

    return {**county, "add_members": add_members, "class_in": class_in}


def ledger_view(user, year):
    """Who is behind and their counted minutes, from each member's own ledger (the reference)."""
    expected = {}
    for member in selectors.members_with_hours(user, year):
        ledger = selectors.member_ledger(member, year)
        if not ledger.met:
            expected[member.pk] = (ledger.counted_minutes, ledger.required_minutes)
    return expected


def shown(response) -> dict[int, tuple[int, int]]:
    return {
        row["member"].pk: (row["member"].counted_minutes, row["member"].required_minutes)
        for group in response.context["groups"]
        for row in group["rows"]
    }


def test_behind_page_agrees_with_the_ledgers_and_its_queries_do_not_grow(client, history):
    client.force_login(history["org"])
    history["add_members"](2)
    few, response = queries(client, BEHIND, {"year": YEAR})
    assert shown(response) == ledger_view(history["org"], YEAR)

    # Three times the members, and two more years of history for every one of them.
    history["add_members"](6, years=(YEAR - 2, YEAR - 1, YEAR))
    many, response = queries(client, BEHIND, {"year": YEAR})
    assert many == few
    expected = ledger_view(history["org"], YEAR)
    assert shown(response) == expected and len(expected) >= 5
    assert response.context["behind_count"] == len(expected)
    assert response.context["member_count"] == 10
    # An earlier year reads that year's records only.
    earlier = client.get(BEHIND, {"year": YEAR - 1})
    assert shown(earlier) == ledger_view(history["org"], YEAR - 1)


def test_who_is_behind_is_worked_out_from_the_years_records_only(history):
    """No member is joined to their whole history: the records enter only through a subquery that
    starts from the year's sessions, and the list itself carries no per-member sums."""
    sql = str(selectors.members_behind(history["org"], YEAR).values_list("pk", flat=True).query)
    assert not re.search(r'JOIN "attendance_attendancerecord"', sql)
    assert sql.count('FROM "attendance_attendancerecord"') == 1
    assert '"starts_at" >=' in sql and '"starts_at" <' in sql
    outer, inner = sql.split('FROM "attendance_attendancerecord"')
    assert "SUM(" not in outer and "SUM(" in inner  # summed in the year's subquery only


def test_behind_pages_list_everyone_behind_once_in_order(client, history, monkeypatch):
    monkeypatch.setattr(reports_behind, "PER_PAGE", 2)
    history["add_members"](7)
    client.force_login(history["org"])
    expected = list(selectors.members_behind(history["org"], YEAR).values_list("pk", flat=True))
    seen, page_number = [], 1
    while True:
        response = client.get(BEHIND, {"year": YEAR, "p": page_number})
        seen += [row["member"].pk for group in response.context["groups"] for row in group["rows"]]
        if not response.context["page"].has_next():
            break
        page_number += 1
    assert seen == expected and page_number == (len(expected) + 1) // 2
    assert set(expected) == set(ledger_view(history["org"], YEAR))


def test_a_category_that_requires_nothing_is_never_behind(history):
    history["add_members"](4)
    for category in MemberCategory.values:
        services.requirement_rule_set(
            actor=history["org"], year=YEAR, category=category, hours=0, scope="township"
        )
    assert not selectors.members_behind(history["org"], YEAR).exists()
    _rows, total = township_summary(history["org"], YEAR)
    assert total.met == total.members == 6


def test_any_school_rule_counts_every_school_in_the_behind_set(history):
    """A member of township B who trained only at township A: behind under the township rule, met
    when the rule counts any school."""
    member = factories.MemberFactory(branch=history["branch_b"])
    for session in history["class_in"](YEAR, "town_a"):
        attend(member, session)
    assert selectors.members_behind(history["org"], YEAR).filter(pk=member.pk).exists()
    services.requirement_rule_set(
        actor=history["org"], year=YEAR, category="ordinary", hours=6, scope="any_school"
    )
    assert not selectors.members_behind(history["org"], YEAR).filter(pk=member.pk).exists()


def test_township_summary_agrees_with_the_ledgers_and_its_queries_do_not_grow(client, history):
    client.force_login(history["org"])
    history["add_members"](2)
    few, _response = queries(client, TOWNSHIPS, {"year": YEAR})
    history["add_members"](6, years=(YEAR - 4, YEAR - 2, YEAR))
    history["add_members"](3, years=(YEAR - 6,))  # trained before the rotation window only
    many, response = queries(client, TOWNSHIPS, {"year": YEAR})
    assert many == few
    rows = {row.township.pk: row for row in response.context["rows"]}
    for township in ("town_a", "town_b"):
        members = list(
            selectors.members_with_hours(history["org"], YEAR).filter(branch__township=history[township])
        )
        ledgers = [selectors.member_ledger(member, YEAR) for member in members]
        row = rows[history[township].pk]
        assert row.members == len(members)
        assert row.met == sum(ledger.met for ledger in ledgers)
        assert row.rotated == sum(ledger.rotation_met for ledger in ledgers)
    total = response.context["total"]
    assert total.members == 13 and total.rotated < total.members


def test_roll_call_form_queries_do_not_grow_with_the_class(client, held):
    first = held["training_class"].sessions.order_by("starts_at").first()
    url = reverse("attendance_rollcall:session", args=[first.pk])
    client.force_login(held["staff_a"])
    fill_class(held, held["training_class"], 2)
    few, _response = queries(client, url)
    members = fill_class(held, held["training_class"], 6)
    many, response = queries(client, url)
    assert many == few
    page = response.content.decode()
    assert page.count('type="radio"') == 9 * 5
    marked, unmarked = members[0], held["member_a"]
    assert f'name="status-{marked.pk}" value="present" checked>' in page
    assert f'id="m{unmarked.pk}-present" name="status-{unmarked.pk}" value="present">' in page
    assert reverse("attendance_rollcall:history", args=[marked.attendance.get(session=first).pk]) in page

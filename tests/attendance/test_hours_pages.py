"""The member's hours page and the staff's hours reports: scope, exports, query counts, rules."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from lms.attendance.admin import reports_behind, reports_townships
from lms.attendance.models import RequirementRule
from lms.people.models import MemberCategory
from tests import factories
from tests.attendance.conftest import attend, on
from tests.exports.helpers import download_export, file_rows

YEAR = 2026
MY_HOURS = reverse("attendance:my_hours")
BEHIND = reverse("attendance_hours_behind:index")
TOWNSHIPS = reverse("attendance_hours_townships:index")
RULES = reverse("attendance_hours_rules:index")


@pytest.fixture
def hours(county, classes):
    """member_a met the requirement at township A (six hours); member_a2 (township A) attended one
    hour; member_b (township B) attended one hour, two years ago, at the city school."""
    class_a = classes(county["town_a"], on(YEAR, 3, 2))
    city_class = classes(county["city"], on(YEAR - 2, 3, 3))
    member_a2 = factories.MemberFactory(branch=county["branch_a"], name="甲二")
    for session in class_a.sessions.all():
        attend(county["member_a"], session)
    attend(member_a2, class_a.sessions.order_by("starts_at").first())
    attend(county["member_b"], city_class.sessions.order_by("starts_at").first())
    return {**county, "class_a": class_a, "city_class": city_class, "member_a2": member_a2}


def shown_members(response) -> set[int]:
    return {row["member"].pk for group in response.context["groups"] for row in group["rows"]}


# --- My hours ------------------------------------------------------------------------------------


def test_my_hours_shows_the_members_own_ledger(client, hours):
    client.force_login(hours["member_a"].user)
    response = client.get(MY_HOURS, {"year": YEAR})
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["ledger"].member == hours["member_a"]
    assert response.context["ledger"].met and 'data-testid="met"' in page
    assert response.context["counted_hours"] == Decimal("6.0") and response.context["required_days"] == 1
    assert response.context["percent"] == 100
    assert hours["class_a"].title in page
    assert page.count('data-testid="record"') == 6
    assert hours["city_class"].title not in page  # member_b's


def test_my_hours_names_each_records_status_and_source_in_the_members_language(client, hours):
    """The labels come from the enums (not get_FOO_display): the page's language, each record its own."""
    from lms.attendance.models import AttendanceSource, AttendanceStatus

    late = hours["class_a"].sessions.order_by("starts_at").last()
    member = hours["member_a2"]
    attend(member, late, status=AttendanceStatus.LATE, source=AttendanceSource.ROLL_CALL)
    client.force_login(member.user)
    for language in ("zh-hans", "en"):
        client.post("/i18n/setlang/", {"language": language, "next": MY_HOURS})
        page = client.get(MY_HOURS, {"year": YEAR}).content.decode()
        assert f'lang="{language}"' in page
        with translation.override(language):
            records = page.split('data-testid="record"')[1:]
            assert len(records) == 2
            first, last = (record.split("</li>")[0] for record in records)
            assert str(AttendanceStatus.PRESENT.label) in first and str(AttendanceSource.QR.label) in first
            assert str(AttendanceStatus.LATE.label) in last and str(AttendanceSource.ROLL_CALL.label) in last
            assert str(AttendanceStatus.LATE.label) not in first


def test_my_hours_writes_each_records_time_date_minutes_and_school_in_the_members_language(client, hours):
    """The view writes these texts out (hours_views.by_class) instead of the template's filters."""
    first = hours["class_a"].sessions.order_by("starts_at").first()
    member = hours["member_a2"]
    session = hours["class_a"].sessions.order_by("starts_at")[1]
    attend(member, session, minutes=1)
    client.force_login(member.user)
    expected = {
        "zh-hans": ("08:00", "2026年3月2日", "60 分钟", "1 分钟"),
        "en": ("08:00", "03/02/2026", "60 minutes", "1 minute"),
    }
    for language, (time, day, hour_long, one_minute) in expected.items():
        client.post("/i18n/setlang/", {"language": language, "next": MY_HOURS})
        page = client.get(MY_HOURS, {"year": YEAR}).content.decode()
        records = [
            " ".join(record.split("</li>")[0].split()) for record in page.split('data-testid="record"')[1:]
        ]
        assert len(records) == 2
        assert f'<span class="session-time">{time}</span>' in records[0]
        assert f'<span class="session-title">{first.display_title}</span>' in records[0]
        assert f"{day} · {hour_long} · " in records[0]
        assert f" · {one_minute} · " in records[1] and "09:00" in records[1]
        assert f"{hours['town_a'].title} · " in page  # the class's school


def test_my_hours_marks_sessions_that_do_not_count_and_the_rotation(client, hours):
    member_b = hours["member_b"]
    client.force_login(member_b.user)
    page = client.get(MY_HOURS, {"year": YEAR - 2}).content.decode()
    assert 'data-counts="0"' in page and 'data-counts="1"' not in page
    assert 'data-testid="not-met"' in page and 'data-testid="rotation-met"' in page
    page = client.get(MY_HOURS, {"year": YEAR}).content.decode()
    assert 'data-testid="record"' not in page and 'data-testid="rotation-met"' in page
    page = client.get(MY_HOURS, {"year": YEAR + 5}).content.decode()  # out of range: this year
    assert 'data-testid="rotation-met"' in page


def test_my_hours_needs_a_login_and_a_member(client, hours):
    assert client.get(MY_HOURS).status_code == 302
    client.force_login(hours["staff_a"])
    response = client.get(MY_HOURS)
    assert response.status_code == 200 and "ledger" not in response.context


def test_home_links_to_my_hours(client, hours):
    client.force_login(hours["member_a"].user)
    assert MY_HOURS in client.get(reverse("home")).content.decode()


# --- Members behind ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "expected"),
    [("staff_a", {"member_a2"}), ("staff_b", {"member_b"}), ("city_staff", {"member_a2", "member_b"})],
)
def test_members_behind_are_scoped(client, hours, user, expected):
    client.force_login(hours[user])
    response = client.get(BEHIND, {"year": YEAR})
    assert response.status_code == 200
    assert shown_members(response) == {hours[name].pk for name in expected}


def test_org_dept_sees_everyone_behind_and_filters_by_township_and_branch(client, hours):
    client.force_login(hours["org"])
    response = client.get(BEHIND, {"year": YEAR})
    assert shown_members(response) == {hours["member_a2"].pk, hours["member_b"].pk}
    assert response.context["member_count"] == 3
    response = client.get(BEHIND, {"year": YEAR, "township": hours["town_b"].pk})
    assert shown_members(response) == {hours["member_b"].pk}
    response = client.get(BEHIND, {"year": YEAR, "branch": hours["branch_a"].pk})
    assert shown_members(response) == {hours["member_a2"].pk}
    row = response.context["groups"][0]["rows"][0]
    assert (row["counted_hours"], row["required_hours"], row["missing_hours"]) == (1, 6, 5)


def test_members_do_not_see_the_reports(client, hours):
    client.force_login(hours["member_a"].user)
    for url in (BEHIND, TOWNSHIPS, RULES):
        assert client.get(url).status_code in (302, 403)


def export_rows(response, fmt: str) -> list[list]:
    return file_rows(response, fmt)


def chinese_headings(labels) -> list[str]:
    with translation.override("zh-hans"):
        return [str(label) for label in labels]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_behind_export_holds_only_members_in_scope(client, hours, fmt):
    client.force_login(hours["staff_a"])
    with translation.override("en"):  # the files are in Chinese whatever the admin's language
        response = download_export(client, BEHIND, {"year": YEAR, "export": fmt})
    assert f"members-behind-{YEAR}.{fmt}" in response["Content-Disposition"]
    header, *rows = export_rows(response, fmt)
    assert header == chinese_headings(reports_behind.HEADINGS)
    assert [row[2:4] for row in rows] == [[hours["member_a2"].name, hours["member_a2"].phone]]
    assert rows[0][0] == hours["town_a"].title and rows[0][1] == hours["branch_a"].name
    assert [float(value) for value in rows[0][5:]] == [1.0, 6.0, 5.0]


def add_members(county, count: int):
    for n in range(count):
        branch = county["branch_a"] if n % 2 else county["branch_b"]
        factories.MemberFactory(branch=branch, category=MemberCategory.ORDINARY)


@pytest.mark.parametrize("params", [{}, {"export": "xlsx"}, {"export": "csv"}])
def test_behind_report_queries_do_not_grow_with_the_members(client, hours, params):
    client.force_login(hours["org"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            if params:  # the export's request, its task (run at once in tests) and the download
                response = download_export(client, BEHIND, {"year": YEAR, **params})
                b"".join(response.streaming_content)
            else:
                response = client.get(BEHIND, {"year": YEAR})
        return len(captured), response

    client.get(BEHIND, {"year": YEAR})
    few, response = queries()
    add_members(hours, 9)  # 3 → 12 members
    many, response = queries()
    assert many == few
    if not params:
        assert response.context["behind_count"] == 11


# --- By township ---------------------------------------------------------------------------------


def test_township_summary_for_the_organization_department(client, hours):
    client.force_login(hours["org"])
    response = client.get(TOWNSHIPS, {"year": YEAR})
    assert response.status_code == 200
    rows = {row.township.pk: row for row in response.context["rows"]}
    town_a, town_b = rows[hours["town_a"].pk], rows[hours["town_b"].pk]
    assert (town_a.members, town_a.met, town_a.behind, town_a.share_met) == (2, 1, 1, 50.0)
    assert (town_a.rotated, town_a.rotation_coverage) == (2, 100.0)
    assert (town_b.members, town_b.met, town_b.behind, town_b.rotated) == (1, 0, 1, 1)
    total = response.context["total"]
    assert (total.members, total.met, total.rotated) == (3, 1, 3)
    # The rotation window ends with the year: in YEAR - 3 member_b had not trained yet.
    earlier = client.get(TOWNSHIPS, {"year": YEAR - 3}).context["rows"]
    assert {row.township.pk: row.rotated for row in earlier}[hours["town_b"].pk] == 0


@pytest.mark.parametrize("user", ["staff_a", "city_staff"])
def test_township_summary_is_the_organization_departments(client, hours, user):
    client.force_login(hours[user])
    assert client.get(TOWNSHIPS).status_code == 403
    assert client.get(TOWNSHIPS, {"export": "csv"}).status_code == 403


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_township_summary_export(client, hours, fmt):
    client.force_login(hours["org"])
    header, *rows = export_rows(download_export(client, TOWNSHIPS, {"year": YEAR, "export": fmt}), fmt)
    assert header == chinese_headings(reports_townships.HEADINGS)
    assert [row[0] for row in rows][:2] == [hours["town_a"].title, hours["town_b"].title]
    assert [int(value) for value in rows[-1][1:4]] == [3, 1, 2]


def test_township_summary_queries_do_not_grow_with_the_members(client, hours):
    client.force_login(hours["org"])
    client.get(TOWNSHIPS, {"year": YEAR})
    with CaptureQueriesContext(connection) as few:
        client.get(TOWNSHIPS, {"year": YEAR})
    add_members(hours, 9)
    with CaptureQueriesContext(connection) as many:
        response = client.get(TOWNSHIPS, {"year": YEAR})
    assert len(many) == len(few)
    assert response.context["total"].members == 12


# --- Yearly requirements -------------------------------------------------------------------------


def test_org_dept_sets_a_rule_and_sees_it_in_days(client, hours):
    client.force_login(hours["org"])
    response = client.get(RULES, {"year": YEAR})
    rows = {row["rule"].category: row for row in response.context["rules"]}
    assert rows["village_cadre"]["days"] == 2 and rows["village_cadre"]["is_default"]
    assert response.context["may_edit"] and 'data-testid="rule-form"' in response.content.decode()
    response = client.post(RULES, {"year": YEAR, "category": "ordinary", "hours": "9", "scope": "any_school"})
    assert response.status_code == 302 and response.url == f"{RULES}?year={YEAR}"
    rule = RequirementRule.objects.get(year=YEAR, category="ordinary")
    assert (rule.hours, rule.scope, rule.updated_by) == (Decimal(9), "any_school", hours["org"])
    rows = {row["rule"].category: row for row in client.get(RULES, {"year": YEAR}).context["rules"]}
    assert rows["ordinary"]["days"] == Decimal("1.5") and not rows["ordinary"]["is_default"]


def test_bad_rule_is_refused_with_a_message(client, hours):
    client.force_login(hours["org"])
    response = client.post(
        RULES, {"year": YEAR, "category": "ordinary", "hours": "-1", "scope": "township"}, follow=True
    )
    assert not RequirementRule.objects.exists()
    assert list(response.context["messages"])


def test_other_staff_read_the_rules_but_may_not_change_them(client, hours):
    client.force_login(hours["staff_a"])
    response = client.get(RULES, {"year": YEAR})
    assert response.status_code == 200 and not response.context["may_edit"]
    assert 'data-testid="rule-form"' not in response.content.decode()
    response = client.post(RULES, {"year": YEAR, "category": "ordinary", "hours": "1", "scope": "township"})
    assert response.status_code == 403
    assert not RequirementRule.objects.exists()


def test_menu_shows_the_reports_each_user_may_see(client, hours):
    client.force_login(hours["staff_a"])
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert BEHIND in page and RULES in page and TOWNSHIPS not in page
    client.force_login(hours["org"])
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert BEHIND in page and TOWNSHIPS in page

"""人员 → 导入党员: upload, dry-run preview with every bad row, import of the same upload's good rows,
scope like `import_members --as`, size and row caps, the kept upload's token, the template."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from lms.people.admin.import_uploads import UPLOAD_MINUTES
from lms.people.importing import members_import
from lms.people.models import Member, MemberCategory
from lms.people.roles import Role
from lms.people.services import role_grant
from tests import factories

pytestmark = pytest.mark.django_db

INDEX = "people_member_import:index"
CONFIRM = "people_member_import:confirm"
TEMPLATE = "people_member_import:template"
HEADER = ["姓名", "手机号", "党支部", "类别", "流动党员"]
START = datetime(2025, 3, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def clock():
    """Tokens, cache entries and timestamps read the clock: it stands still unless a test moves it.
    (Each upload has a random id, so no cache entry of another test can be found; no `cache.clear()`,
    which on Redis empties the whole database under the feet of parallel workers.)"""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def csv_upload(rows, name="members.csv", encoding="utf-8-sig") -> SimpleUploadedFile:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def xlsx_upload(rows, name="members.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def upload(client, file):
    return client.post(reverse(INDEX), {"file": file})


def confirm(client, token):
    return client.post(reverse(CONFIRM), {"token": token})


def phones_starting(prefix="1380000") -> set[str]:
    return set(Member.objects.filter(phone__startswith=prefix).values_list("phone", flat=True))


def bad_rows(response) -> dict[int, list[str]]:
    return dict(response.context["bad_rows"])


def error_codes(response) -> set[tuple[int, str]]:
    return {(error.row, error.code) for error in response.context["report"].errors}


def refused(response) -> bool:
    """Wagtail's answer to a user without access: a redirect to the dashboard or login, or a 403/404."""
    if response.status_code == 302:
        return response.url.startswith((reverse("wagtailadmin_home"), reverse("wagtailadmin_login")))
    return response.status_code in (403, 404)


MIXED = [
    HEADER,
    ["张三", "13800000001", "甲村党支部", "普通党员", "否"],  # 2 ok
    ["", "13800000002", "甲村党支部", "", ""],  # 3 no name
    ["李四", "12345", "甲村党支部", "", ""],  # 4 not a mobile number
    ["王五", "13800000004", "没有的党支部", "", ""],  # 5 unknown branch
    ["赵六", "13800000005", "甲村党支部", "镇长", "也许"],  # 6 bad category and migrant value
    ["孙七", "138 0000 0001", "甲村党支部", "", ""],  # 7 same phone as row 2
    ["周八", "13800000007", "甲村党支部", "村两委成员", "是"],  # 8 ok
]


# --- Step 1: the dry run -------------------------------------------------------------------------


def test_upload_with_bad_rows_lists_each_with_row_and_reason_and_writes_nothing(client, county):
    client.force_login(county["staff_a"])
    members_before = Member.objects.count()

    response = upload(client, csv_upload(MIXED))

    assert response.status_code == 200
    assert response.templates[0].name == "people/admin/member_import_preview.html"
    assert error_codes(response) == {
        (3, "missing_name"),
        (4, "invalid_phone"),
        (5, "invalid_branch"),
        (6, "invalid_category"),
        (6, "invalid_migrant"),
        (7, "duplicate_phone"),
    }
    rows = bad_rows(response)
    assert sorted(rows) == [3, 4, 5, 6, 7]
    assert len(rows[6]) == 2  # both problems of the row are listed
    assert "没有的党支部" in rows[5][0]
    assert "12345" in rows[4][0]
    html = response.content.decode()
    for row, reasons in rows.items():
        assert f"<td>{row}</td>" in html
        for reason in reasons:
            assert reason.replace("“", "").replace("”", "")[:8] in html.replace("“", "").replace("”", "")
    report = response.context["report"]
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert response.context["failed_count"] == 5
    assert [o.row for o in response.context["preview_rows"]] == [2, 8]
    assert response.context["token"]
    # Nothing was written.
    assert Member.objects.count() == members_before
    assert phones_starting() == set()


def test_preview_says_what_happens_to_known_members(client, county):
    member = county["member_a"]
    client.force_login(county["staff_a"])
    response = upload(
        client,
        xlsx_upload(
            [
                HEADER,
                [member.name, member.phone, "甲村党支部", "党支部书记", "否"],  # 2 updated
                ["新人", 13800000011, "甲村党支部", None, None],  # 3 new (a number cell)
            ]
        ),
    )
    report = response.context["report"]
    assert report.ok
    assert [(o.row, o.action) for o in report.rows] == [(2, "updated"), (3, "new")]
    member.refresh_from_db()
    assert member.category == MemberCategory.ORDINARY


def test_preview_shows_at_most_200_good_rows_but_counts_them_all(client, county):
    client.force_login(county["org"])
    rows = [HEADER] + [[f"党员{n}", f"138{n:08d}", "甲村党支部", "", ""] for n in range(1, 251)]
    response = upload(client, csv_upload(rows))
    assert response.context["report"].created == 250
    assert response.context["good_count"] == 250
    assert len(response.context["preview_rows"]) == 200
    assert response.content.decode().count("<td>党员") == 200


def test_whole_file_problem_is_shown_on_the_form(client, county):
    client.force_login(county["staff_a"])
    response = upload(client, csv_upload([["姓名", "类别"], ["张三", ""]]))
    assert response.status_code == 200
    assert response.templates[0].name == "people/admin/member_import.html"
    assert response.context["form"].errors["file"]
    assert "token" not in response.context


# --- Step 2: the import ---------------------------------------------------------------------------


def test_confirm_imports_only_the_good_rows_of_that_upload(client, county):
    client.force_login(county["staff_a"])
    token = upload(client, csv_upload(MIXED)).context["token"]

    response = confirm(client, token)

    assert response.status_code == 200
    assert response.templates[0].name == "people/admin/member_import_result.html"
    report = response.context["report"]
    assert not report.dry_run
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert phones_starting() == {"13800000001", "13800000007"}
    zhou = Member.objects.select_related("user").get(phone="13800000007")
    assert (zhou.name, zhou.branch, zhou.category, zhou.is_migrant) == (
        "周八",
        county["branch_a"],
        MemberCategory.VILLAGE_CADRE,
        True,
    )
    assert zhou.user.username == "13800000007"
    assert not zhou.user.has_usable_password()
    assert zhou.user.groups.filter(name=Role.MEMBER.value).exists()
    assert reverse("people_members:index") in response.content.decode()


def test_a_second_click_updates_instead_of_duplicating(client, county):
    client.force_login(county["staff_a"])
    token = upload(client, csv_upload(MIXED)).context["token"]
    first = confirm(client, token).context["report"]
    count = Member.objects.count()

    second = confirm(client, token)

    assert second.status_code == 200
    report = second.context["report"]
    assert (first.created, report.created, report.updated, report.unchanged) == (2, 0, 0, 2)
    assert Member.objects.count() == count


def test_an_import_already_running_is_not_started_twice(client, county):
    client.force_login(county["staff_a"])
    token = upload(client, csv_upload(MIXED)).context["token"]
    from django.core import signing

    upload_id = signing.loads(token, salt="lms.people.member-import")["id"]
    cache.set(f"people:member-import:{upload_id}:running", True)  # another request is importing it

    response = confirm(client, token)

    assert response.status_code == 302
    assert phones_starting() == set()


def test_changed_members_are_updated_with_their_login_name(client, county):
    member = county["member_a"]
    client.force_login(county["staff_a"])
    token = upload(
        client, csv_upload([HEADER, ["新名字", member.phone, "甲村党支部", "支部书记", "是"]])
    ).context["token"]
    report = confirm(client, token).context["report"]
    assert (report.created, report.updated) == (0, 1)
    member.refresh_from_db()
    member.user.refresh_from_db()
    assert (member.name, member.category, member.is_migrant) == (
        "新名字",
        MemberCategory.BRANCH_SECRETARY,
        True,
    )
    assert member.user.first_name == "新名字"
    assert member.updated_at == START


# --- Scope ---------------------------------------------------------------------------------------


def test_township_staff_cannot_import_into_another_township(client, county):
    client.force_login(county["staff_a"])
    rows = [
        HEADER,
        ["张三", "13800000001", "甲村党支部", "", ""],  # 2 own township
        ["李四", "13800000002", "乙村党支部", "", ""],  # 3 another township's branch
        [county["member_b"].name, county["member_b"].phone, "甲村党支部", "", ""],  # 4 another's member
    ]
    response = upload(client, csv_upload(rows))

    assert error_codes(response) == {(3, "forbidden"), (4, "forbidden")}
    assert "乙村党支部" in bad_rows(response)[3][0]
    report = confirm(client, response.context["token"]).context["report"]
    assert report.created == 1 and len(report.failed_rows) == 2
    assert phones_starting() == {"13800000001"}
    county["member_b"].refresh_from_db()
    assert county["member_b"].branch == county["branch_b"]


def test_city_staff_import_into_every_township_under_the_city(client, county):
    client.force_login(county["city_staff"])
    rows = [
        HEADER,
        ["张三", "13800000001", "甲村党支部", "", ""],
        ["李四", "13800000002", "乙村党支部", "", ""],
    ]
    response = upload(client, csv_upload(rows))
    assert response.context["report"].ok
    confirm(client, response.context["token"])
    assert phones_starting() == {"13800000001", "13800000002"}


@pytest.mark.parametrize("who", ["member", "teacher"])
def test_members_and_teachers_have_no_access(client, county, who):
    if who == "member":
        user = county["member_a"].user
    else:
        user = factories.UserFactory(username="teacher_x")
        factories.TeacherFactory(user=user)
        role_grant(user=user, role=Role.TEACHER)
    client.force_login(county["staff_a"])
    staff_token = upload(client, csv_upload(MIXED)).context["token"]
    client.force_login(user)

    assert refused(client.get(reverse(INDEX)))
    assert refused(upload(client, csv_upload(MIXED)))
    assert refused(confirm(client, staff_token))
    assert refused(client.get(reverse(TEMPLATE)))
    assert phones_starting() == set()


def test_the_menu_shows_the_import_to_staff_only(client, county):
    client.force_login(county["staff_a"])
    assert reverse(INDEX) in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(county["member_a"].user)
    response = client.get(reverse("wagtailadmin_home"), follow=True)
    assert reverse(INDEX) not in response.content.decode()


# --- Caps ----------------------------------------------------------------------------------------


def import_queries(queries) -> list[str]:
    """The statements of a request but the one loading the signed-in user (with their profiles)."""
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith('SELECT "auth_user"')]


@override_settings(PEOPLE_IMPORT_MAX_BYTES=300)
def test_a_file_over_the_size_cap_is_refused_before_any_work(client, county):
    client.force_login(county["staff_a"])
    rows = [HEADER] + [[f"党员{n}", f"138{n:08d}", "甲村党支部", "", ""] for n in range(1, 30)]
    file = csv_upload(rows)
    assert file.size > 300

    with CaptureQueriesContext(connection) as queries:
        response = upload(client, file)

    assert response.status_code == 200
    message = " ".join(response.context["form"].errors["file"])
    assert "300" in message and "token" not in response.context
    assert not any("people_member" in sql for sql in import_queries(queries))
    assert not any("people_branch" in sql for sql in import_queries(queries))


@override_settings(PEOPLE_IMPORT_MAX_ROWS=5)
def test_a_file_over_the_row_cap_is_refused_before_any_work(client, county):
    client.force_login(county["staff_a"])
    rows = [HEADER] + [[f"党员{n}", f"138{n:08d}", "甲村党支部", "", ""] for n in range(1, 7)]

    with CaptureQueriesContext(connection) as queries:
        response = upload(client, xlsx_upload(rows))

    message = " ".join(response.context["form"].errors["file"])
    assert "5" in message and "token" not in response.context
    assert not any("people_branch" in sql for sql in import_queries(queries))
    # Exactly at the cap is fine.
    response = upload(client, xlsx_upload(rows[:6]))
    assert response.context["report"].created == 5


# --- The kept upload --------------------------------------------------------------------------------


def test_a_token_of_another_user_is_refused(client, county):
    client.force_login(county["staff_a"])
    token = upload(client, csv_upload(MIXED)).context["token"]
    client.force_login(county["city_staff"])  # may import into 甲镇 too, but it is not their upload

    response = confirm(client, token)

    assert response.status_code == 302 and response.url == reverse(INDEX)
    assert phones_starting() == set()


def test_an_expired_or_altered_token_is_refused(client, county, clock):
    client.force_login(county["staff_a"])
    token = upload(client, csv_upload(MIXED)).context["token"]

    assert confirm(client, token[:-2] + ("AA" if not token.endswith("AA") else "BB")).status_code == 302
    assert confirm(client, "").status_code == 302
    clock.shift(timedelta(minutes=UPLOAD_MINUTES, seconds=1))
    response = confirm(client, token)

    assert response.status_code == 302 and response.url == reverse(INDEX)
    assert phones_starting() == set()
    # Just before the expiry it still works.
    clock.shift(-timedelta(seconds=2))
    assert confirm(client, token).status_code == 200
    assert phones_starting() == {"13800000001", "13800000007"}


def test_the_confirm_imports_the_previewed_file_or_nothing(client, county):
    """Whatever sits under the upload's key must be the file that was previewed (its SHA-256 is signed)."""
    client.force_login(county["staff_a"])
    token = upload(client, csv_upload(MIXED)).context["token"]
    from django.core import signing

    key = f"people:member-import:{signing.loads(token, salt='lms.people.member-import')['id']}"
    stored = cache.get(key)
    other = csv_upload([HEADER, ["替换", "13800000099", "甲村党支部", "", ""]]).read()
    cache.set(key, {**stored, "data": other})

    assert confirm(client, token).status_code == 302
    assert phones_starting() == set()


# --- Template ------------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_the_template_parses_back_with_the_importer(client, county, file_format):
    client.force_login(county["staff_a"])
    response = client.get(reverse(TEMPLATE), {"format": file_format})

    assert response.status_code == 200
    assert f".{file_format}" in response.headers["Content-Disposition"]
    content = response.content
    if file_format == "xlsx":
        sheet = load_workbook(io.BytesIO(content)).worksheets[0]
        header = [cell.value for cell in sheet[1]]
    else:
        header = next(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert header == ["姓名", "手机号", "党支部", "类别", "流动党员", "镇街党校"]

    report = members_import(
        io.BytesIO(content), actor=county["staff_a"], dry_run=True, filename=f"template.{file_format}"
    )
    assert report.ok, report.errors
    assert report.created == 1
    assert report.rows[0].branch == county["branch_a"]  # the example uses the user's own branch


def test_the_upload_page_explains_the_columns(client, county):
    client.force_login(county["staff_a"])
    response = client.get(reverse(INDEX))
    html = response.content.decode()
    assert response.status_code == 200
    for header in ("姓名", "手机号", "党支部", "类别", "流动党员", "镇街党校", "村两委成员", "甲镇党校"):
        assert header in html
    assert "乙镇党校" not in html  # staff see the townships they import into
    assert reverse(TEMPLATE) in html


# --- Cost ----------------------------------------------------------------------------------------


# Reads that Redis answers when it has them (the session, Wagtail's site root paths): a miss under a
# loaded CI machine added one query to one of the two uploads. They do not depend on the rows.
CACHE_BACKED = ('"django_session"', '"wagtailcore_site"')


def dry_run_queries(client, branch, count: int, first: int) -> list[str]:
    rows = [HEADER] + [[f"党员{n}", f"138{n:08d}", "甲村党支部", "", ""] for n in range(first, first + count)]
    for n in range(first, first + count, 5):  # every fifth member is already known
        factories.MemberFactory(branch=branch, phone=f"138{n:08d}")
    with CaptureQueriesContext(connection) as queries:
        response = upload(client, csv_upload(rows))
    report = response.context["report"]
    assert (report.created, report.unchanged + report.updated) == (count - count // 5, count // 5)
    return [q["sql"] for q in queries.captured_queries if not any(t in q["sql"] for t in CACHE_BACKED)]


def test_dry_run_queries_do_not_grow_with_the_rows(client, county):
    client.force_login(county["staff_a"])
    few = dry_run_queries(client, county["branch_a"], 50, 1)
    many = dry_run_queries(client, county["branch_a"], 500, 1000)
    tables = [sql.split(" FROM ", 1)[-1][:60] for sql in many]
    assert len(few) == len(many), (len(few), len(many), tables)

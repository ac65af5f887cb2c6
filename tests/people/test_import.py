"""Member import: CSV and XLSX from township offices, bad rows reported by spreadsheet row, re-runs update."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import Workbook

from lms.people.importing import (
    ImportFileError,
    category_parse,
    members_import,
    migrant_parse,
    phone_parse,
)
from lms.people.models import Member, MemberCategory
from lms.people.roles import Role
from tests import factories

CN_HEADER = ["姓名", "手机号", "党支部", "类别", "流动党员"]


@pytest.fixture(autouse=True)
def english():
    """Reasons are checked in English (the msgids) whatever catalogues exist."""
    with translation.override("en"):
        yield


def write_csv(path, rows, *, encoding="utf-8-sig"):
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path, rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def run(path, *args):
    """Run the command; returns (stdout, stderr, CommandError or None)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_members", str(path), *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def errors_by_row(report):
    return {(error.row, error.code) for error in report.errors}


# --- Importing valid files -----------------------------------------------------------------------


def test_csv_with_chinese_headers_imports_members(county, tmp_path):
    path = write_csv(
        tmp_path / "members.csv",
        [
            CN_HEADER,
            ["张三", "137-0000-0001", "甲村党支部", '村"两委"成员', "是"],
            ["李四", "+86 137 0000 0002", "乙村党支部", "党支部书记", "否"],
            ["王五", "13700000003", "甲村党支部", "", ""],
        ],
    )
    out, err, failure = run(path)

    assert failure is None, err
    assert "Created: 3, updated: 0, unchanged: 0, failed rows: 0." in out
    zhang = Member.objects.select_related("user", "branch").get(phone="13700000001")
    assert zhang.name == "张三"
    assert zhang.branch == county["branch_a"]
    assert zhang.category == MemberCategory.VILLAGE_CADRE
    assert zhang.is_migrant is True
    li = Member.objects.get(phone="13700000002")
    assert (li.branch, li.category, li.is_migrant) == (
        county["branch_b"],
        MemberCategory.BRANCH_SECRETARY,
        False,
    )
    wang = Member.objects.get(phone="13700000003")
    assert (wang.category, wang.is_migrant) == (MemberCategory.ORDINARY, False)


def test_created_members_get_a_login_named_by_phone_and_the_member_role(county, tmp_path):
    path = write_csv(tmp_path / "m.csv", [CN_HEADER, ["张三", "13700000001", "甲村党支部", "", ""]])
    members_import(path)

    member = Member.objects.select_related("user").get(phone="13700000001")
    assert member.user.username == "13700000001"
    assert member.user.first_name == "张三"
    assert not member.user.has_usable_password()
    assert member.user.groups.filter(name=Role.MEMBER.value).exists()


def test_xlsx_with_numeric_phones_and_english_headers(county, tmp_path):
    path = write_xlsx(
        tmp_path / "members.xlsx",
        [
            ["Name", "Phone", "Branch", "Category", "Migrant"],
            ["Zhang San", 13700000001, "甲村党支部", "village_cadre", True],
            ["Li Si", 13700000002.0, "乙村党支部", "branch_secretary", 0],
            [None, None, None, None, None],  # blank row: skipped, but it still counts for numbering
            ["Wang Wu", "137 0000 0003", "甲村党支部", None, "yes"],
            ["Bad", "12", "甲村党支部", None, None],
        ],
    )
    report = members_import(path)

    assert (report.created, report.updated) == (3, 0)
    assert errors_by_row(report) == {(6, "invalid_phone")}
    assert Member.objects.get(phone="13700000002").name == "Li Si"
    assert Member.objects.get(phone="13700000001").is_migrant is True
    assert Member.objects.get(phone="13700000003").is_migrant is True


def test_xlsx_title_row_above_the_header_keeps_spreadsheet_row_numbers(county, tmp_path):
    path = write_xlsx(
        tmp_path / "members.xlsx",
        [
            ["甲镇党员名册（2025年）"],
            ["序号", "姓名", "手机号码", "所在党支部", "人员类别", "是否流动党员", "备注"],
            [1, "张三", 13700000001, "甲村党支部", "普通党员", "否", ""],
            [2, "", 13700000002, "甲村党支部", "普通党员", "否", ""],
            [3, None, None, None, None, None, None],  # only a serial number: a blank row
        ],
    )
    report = members_import(path)

    assert report.created == 1
    assert errors_by_row(report) == {(4, "missing_name")}


def test_gbk_encoded_csv_from_chinese_windows_excel(county, tmp_path):
    path = write_csv(
        tmp_path / "gbk.csv",
        [
            ["姓名", "电话", "支部", "人员类别", "流动党员"],
            ["赵六", "13700000006", "甲村党支部", "村两委", "是"],
        ],
        encoding="gbk",
    )
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")

    report = members_import(path)

    assert report.ok and report.created == 1
    member = Member.objects.get(phone="13700000006")
    assert (member.name, member.category, member.is_migrant) == ("赵六", MemberCategory.VILLAGE_CADRE, True)


def test_utf8_csv_without_bom(county, tmp_path):
    path = write_csv(
        tmp_path / "plain.csv",
        [CN_HEADER, ["孙七", "13700000007", "乙村党支部", "", ""]],
        encoding="utf-8",
    )
    assert members_import(path).created == 1


# --- Bad rows ------------------------------------------------------------------------------------


def test_bad_rows_are_reported_by_row_and_good_rows_imported(county, tmp_path):
    # The same branch name in both townships: ambiguous unless the row says which township.
    factories.BranchFactory(township=county["town_a"], name="新村党支部")
    factories.BranchFactory(township=county["town_b"], name="新村党支部")
    path = write_csv(
        tmp_path / "mixed.csv",
        [
            CN_HEADER + ["镇街党校"],
            ["张三", "13700000001", "甲村党支部", "普通党员", "否", ""],  # 2 ok
            ["", "13700000002", "甲村党支部", "", "", ""],  # 3 no name
            ["李四", "12ab", "甲村党支部", "", "", ""],  # 4 bad phone
            ["王五", "13700000005", "没有这个党支部", "", "", ""],  # 5 unknown branch
            ["赵六", "13700000006", "甲村党支部", "镇长", "", ""],  # 6 unknown category
            ["孙七", "13700000007", "新村党支部", "", "", ""],  # 7 ambiguous branch
            ["周八", "13700000008", "新村党支部", "", "", "乙镇党校"],  # 8 ok: township says which
            ["", "", "", "", "", ""],  # 9 blank: skipped silently
            ["吴九", "137 0000 0001", "乙村党支部", "", "", ""],  # 10 phone of row 2
            ["郑十", "13700000010", "甲村党支部", "", "也许", ""],  # 11 bad migrant value
        ],
    )
    report = members_import(path)

    assert errors_by_row(report) == {
        (3, "missing_name"),
        (4, "invalid_phone"),
        (5, "invalid_branch"),
        (6, "invalid_category"),
        (7, "invalid_branch"),
        (10, "duplicate_phone"),
        (11, "invalid_migrant"),
    }
    reasons = {error.row: error.reason for error in report.errors}
    assert reasons[3] == "Name is required."
    assert "not valid" in reasons[4]
    assert "没有这个党支部" in reasons[5]
    assert "镇长" in reasons[6]
    assert "several township schools" in reasons[7]
    assert "甲镇党校" in reasons[7] and "乙镇党校" in reasons[7]
    assert reasons[10] == "Phone 13700000001 is already used in row 2."
    assert report.created == 2
    assert set(Member.objects.filter(phone__startswith="137").values_list("phone", flat=True)) == {
        "13700000001",
        "13700000008",
    }
    assert Member.objects.get(phone="13700000008").branch.township_id == county["town_b"].pk
    assert Member.objects.get(phone="13700000001").name == "张三"  # not overwritten by row 10


def test_every_problem_of_a_row_is_reported(county):
    report = members_import([{"姓名": "", "手机号": "abc", "党支部": "无", "类别": "x"}])
    assert errors_by_row(report) == {
        (2, "missing_name"),
        (2, "invalid_phone"),
        (2, "invalid_branch"),
        (2, "invalid_category"),
    }
    assert report.failed_rows == [2]


def test_command_prints_each_error_with_its_row_and_exits_non_zero(county, tmp_path):
    path = write_csv(
        tmp_path / "m.csv",
        [
            CN_HEADER,
            ["张三", "13700000001", "甲村党支部", "", ""],
            ["", "13700000002", "甲村党支部", "", ""],
        ],
    )
    out, err, failure = run(path)

    assert failure is not None and "1 row could not be imported" in str(failure)
    assert "Row 3: Name is required." in err
    assert "Created: 1, updated: 0, unchanged: 0, failed rows: 1." in out
    assert Member.objects.filter(phone="13700000001").exists()


def test_error_lines_follow_the_active_language(county, tmp_path):
    path = write_csv(tmp_path / "m.csv", [CN_HEADER, ["", "13700000002", "甲村党支部", "", ""]])
    with translation.override("zh-hans"):
        _out, err, failure = run(path)
    assert failure is not None
    # Without a compiled catalogue the English msgid shows; with one it reads "第 2 行：…".
    assert "Row 2:" in err or "第 2 行：" in err


# --- Re-running ----------------------------------------------------------------------------------


def test_reimport_updates_and_never_duplicates(county, tmp_path):
    rows = [
        CN_HEADER,
        ["张三", "13700000001", "甲村党支部", "普通党员", "否"],
        ["李四", "13700000002", "乙村党支部", "普通党员", "否"],
    ]
    path = write_csv(tmp_path / "m.csv", rows)
    first = members_import(path)
    count = Member.objects.count()

    second = members_import(path)
    assert (first.created, second.created, second.updated, second.unchanged) == (2, 0, 0, 2)
    assert Member.objects.count() == count

    rows[1] = ["张三丰", "137 0000 0001", "乙村党支部", "村两委成员", "是"]
    write_csv(path, rows)
    third = members_import(path)

    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    assert Member.objects.count() == count
    zhang = Member.objects.select_related("user").get(phone="13700000001")
    assert (zhang.name, zhang.branch, zhang.category, zhang.is_migrant) == (
        "张三丰",
        county["branch_b"],
        MemberCategory.VILLAGE_CADRE,
        True,
    )
    assert zhang.user.first_name == "张三丰"


def test_existing_member_is_updated_by_phone(county, tmp_path):
    member = county["member_a"]
    path = write_csv(
        tmp_path / "m.csv", [CN_HEADER, [member.name, member.phone, "甲村党支部", "支部书记", ""]]
    )
    report = members_import(path)

    assert report.updated == 1 and report.created == 0
    member.refresh_from_db()
    assert member.category == MemberCategory.BRANCH_SECRETARY


# --- Dry run and scope ---------------------------------------------------------------------------


def test_dry_run_writes_nothing(county, tmp_path):
    path = write_csv(
        tmp_path / "m.csv",
        [
            CN_HEADER,
            ["张三", "13700000001", "甲村党支部", "", ""],
            [county["member_a"].name, county["member_a"].phone, "甲村党支部", "党支部书记", ""],
            ["", "13700000003", "甲村党支部", "", ""],
        ],
    )
    members_before = Member.objects.count()
    out, err, failure = run(path, "--dry-run")

    assert "Dry run" in out
    assert "Created: 1, updated: 1, unchanged: 0, failed rows: 1." in out
    assert "Row 4: Name is required." in err
    assert failure is not None and "would fail" in str(failure)
    assert Member.objects.count() == members_before
    assert not Member.objects.filter(phone="13700000001").exists()
    county["member_a"].refresh_from_db()
    assert county["member_a"].category == MemberCategory.ORDINARY


def test_dry_run_of_a_clean_file_succeeds(county, tmp_path):
    path = write_csv(tmp_path / "m.csv", [CN_HEADER, ["张三", "13700000001", "甲村党支部", "", ""]])
    out, _err, failure = run(path, "--dry-run")
    assert failure is None
    assert "Created: 1" in out
    assert not Member.objects.filter(phone="13700000001").exists()


def test_as_township_staff_refuses_rows_of_another_township(county, tmp_path):
    path = write_csv(
        tmp_path / "m.csv",
        [
            CN_HEADER,
            ["张三", "13700000001", "甲村党支部", "", ""],  # 2 own township: ok
            ["李四", "13700000002", "乙村党支部", "", ""],  # 3 other township's branch
            [county["member_b"].name, county["member_b"].phone, "甲村党支部", "", ""],  # 4 other's member
        ],
    )
    out, err, failure = run(path, "--as", "staff_a")

    assert failure is not None
    assert "Row 3: You may not manage members of branch “乙村党支部”." in err
    assert "Row 4:" in err
    assert "Created: 1, updated: 0, unchanged: 0, failed rows: 2." in out
    assert Member.objects.filter(phone="13700000001").exists()
    assert not Member.objects.filter(phone="13700000002").exists()
    county["member_b"].refresh_from_db()
    assert county["member_b"].branch == county["branch_b"]


def test_township_staff_need_not_name_their_own_township(county):
    factories.BranchFactory(township=county["town_a"], name="新村党支部")
    factories.BranchFactory(township=county["town_b"], name="新村党支部")
    rows = [{"姓名": "张三", "手机号": "13700000001", "党支部": "新村党支部"}]

    report = members_import(rows, actor=county["staff_a"])

    assert report.ok
    assert Member.objects.get(phone="13700000001").branch.township_id == county["town_a"].pk


def test_as_requires_a_known_staff_user(county, tmp_path):
    path = write_csv(tmp_path / "m.csv", [CN_HEADER, ["张三", "13700000001", "甲村党支部", "", ""]])
    _out, _err, failure = run(path, "--as", "nobody")
    assert failure is not None and "nobody" in str(failure)
    _out, _err, failure = run(path, "--as", county["member_a"].user.username)
    assert failure is not None and "not school staff" in str(failure)
    assert not Member.objects.filter(phone="13700000001").exists()


# --- Whole-file problems -------------------------------------------------------------------------


def test_unknown_extension_is_a_command_error(county, tmp_path):
    path = tmp_path / "members.txt"
    path.write_text("姓名,手机号,党支部\n", encoding="utf-8")
    _out, _err, failure = run(path)
    assert failure is not None and ".txt" in str(failure)


def test_missing_file_and_broken_workbook_are_command_errors(county, tmp_path):
    _out, _err, failure = run(tmp_path / "absent.csv")
    assert failure is not None and "absent.csv" in str(failure)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip at all")
    _out, _err, failure = run(broken)
    assert failure is not None and "Excel" in str(failure)


def test_missing_required_columns_are_named(county, tmp_path):
    path = write_csv(tmp_path / "m.csv", [["姓名", "类别"], ["张三", ""]])
    _out, _err, failure = run(path)
    assert failure is not None
    assert "phone" in str(failure) and "branch" in str(failure)
    assert "name (" not in str(failure)
    with pytest.raises(ImportFileError):
        members_import(path)


def test_empty_file_is_an_error(county, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(ImportFileError):
        members_import(path)


def test_uploaded_file_object_without_extension_is_sniffed(county, tmp_path):
    path = write_xlsx(tmp_path / "m.xlsx", [CN_HEADER, ["张三", 13700000001, "甲村党支部", None, None]])
    with path.open("rb") as handle:
        upload = io.BytesIO(handle.read())
    assert members_import(upload).created == 1


# --- Values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", MemberCategory.ORDINARY),
        ("ordinary", MemberCategory.ORDINARY),
        ("普通党员", MemberCategory.ORDINARY),
        ("village_cadre", MemberCategory.VILLAGE_CADRE),
        ('村"两委"成员', MemberCategory.VILLAGE_CADRE),
        ("村“两委”成员", MemberCategory.VILLAGE_CADRE),
        ("村两委成员", MemberCategory.VILLAGE_CADRE),
        ("村两委", MemberCategory.VILLAGE_CADRE),
        ("branch_secretary", MemberCategory.BRANCH_SECRETARY),
        ("党支部书记", MemberCategory.BRANCH_SECRETARY),
        (" 支部书记 ", MemberCategory.BRANCH_SECRETARY),
        ("Branch Secretary", MemberCategory.BRANCH_SECRETARY),
    ],
)
def test_category_values(text, code):
    assert category_parse(text) == code


@pytest.mark.parametrize(
    ("text", "expected"),
    [("是", True), ("否", False), ("yes", True), ("No", False), ("TRUE", True), ("false", False)]
    + [("1", True), ("0", False), ("", False)],
)
def test_migrant_values(text, expected):
    assert migrant_parse(text) is expected


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("13912345678", "13912345678"),
        ("13912345678.0", "13912345678"),
        ("139-1234-5678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
    ],
)
def test_phone_values(text, phone):
    assert phone_parse(text) == phone


def test_phone_shortened_by_excel_is_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="shortened"):
        phone_parse("1.39123E+10")


def test_login_held_by_a_member_with_another_phone_is_reported(county):
    user = factories.UserFactory(username="13711112222")
    factories.MemberFactory(user=user, branch=county["branch_a"], phone="13799990000", name="钱一")

    report = members_import(
        [
            {"姓名": "新人", "手机号": "13711112222", "党支部": "甲村党支部"},
            {"姓名": "张三", "手机号": "13700000001", "党支部": "甲村党支部"},
        ]
    )

    assert errors_by_row(report) == {(2, "login_taken")}
    assert "钱一" in report.errors[0].reason and "13799990000" in report.errors[0].reason
    assert report.created == 1
    assert not Member.objects.filter(phone="13711112222").exists()

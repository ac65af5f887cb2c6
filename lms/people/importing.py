"""Member import from the spreadsheets township offices keep (CSV or XLSX, one row per member).

Reading turns a file into numbered rows keyed by field (`name`, `phone`, `branch`, `category`, `migrant`,
`township`), whatever language the headers are in; `members_import` checks each row and writes it through
`services.member_upsert`, each row in its own savepoint, so a bad row is reported and the good ones stay.
Row numbers are the ones the user sees in the spreadsheet: the header is row 1, the first data row is row 2.
"""

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lms.people import services
from lms.people.models import Branch, Member, MemberCategory
from lms.people.selectors import branches_for_user, is_staff_user

FIELDS = ("name", "phone", "branch", "category", "migrant", "township")
REQUIRED_FIELDS = ("name", "phone", "branch")
HEADER_SCAN_ROWS = 10  # a title row or two above the header is common in township files

# Headers as they appear in township files, after `_key` (NFKC, no spaces or markers, lower case).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "党员姓名", "name"),
    "phone": (
        "手机号",
        "手机号码",
        "手机",
        "电话",
        "电话号码",
        "联系电话",
        "phone",
        "mobile",
        "phone_number",
    ),
    "branch": ("党支部", "支部", "所在党支部", "所属党支部", "所在支部", "branch"),
    "category": ("类别", "人员类别", "党员类别", "category"),
    "migrant": ("流动党员", "是否流动党员", "是否流动", "migrant", "is_migrant", "migrantmember"),
    "township": ("镇街党校", "镇街", "乡镇", "所属镇街", "township", "townshipschool"),
}
CATEGORY_ALIASES: dict[str, tuple[str, ...]] = {
    MemberCategory.ORDINARY: ("ordinary", "ordinarymember", "普通党员", "普通", "党员"),
    MemberCategory.VILLAGE_CADRE: (
        "village_cadre",
        "villagecadre",
        "villagetwocommitteescadre",
        "村两委成员",
        "村两委",
        "两委成员",
        "两委",
        "村两委干部",
    ),
    MemberCategory.BRANCH_SECRETARY: (
        "branch_secretary",
        "branchsecretary",
        "党支部书记",
        "支部书记",
        "村党支部书记",
        "社区党支部书记",
    ),
}
MIGRANT_TRUE = {"是", "yes", "y", "true", "1", "√", "✓", "流动党员"}
MIGRANT_FALSE = {"", "否", "no", "n", "false", "0", "×", "非流动党员"}

_MARKERS = re.compile(r"[\s*:：\"'“”‘’「」『』]|\([^)]*\)")
_INTEGRAL_FLOAT = re.compile(r"^(\d+)\.0+$")
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?e\+?\d+$", re.IGNORECASE)


def _key(text: str) -> str:
    """Compare headers and values the way people mean them: full-width = half-width, no spaces, quotes,
    required-field stars or remarks in brackets ("手机号（必填）" is "手机号", 村“两委”成员 is 村两委成员)."""
    return _MARKERS.sub("", unicodedata.normalize("NFKC", str(text))).casefold()


def _name_key(text: str) -> str:
    """Branch and school names: full-width = half-width and spaces ignored, but brackets kept."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).casefold()


_HEADER_FIELDS = {_key(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
_CATEGORY_VALUES = {_key(alias): code for code, aliases in CATEGORY_ALIASES.items() for alias in aliases}
_CATEGORY_VALUES.update({_key(label): code for code, label in MemberCategory.choices})


class ImportFileError(Exception):
    """The file as a whole cannot be imported: unreadable, unknown type, missing columns."""


@dataclass(frozen=True)
class MemberRow:
    row: int
    values: Mapping[str, str]

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass(frozen=True)
class RowError:
    row: int
    reason: str
    code: str = "invalid"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def failed_rows(self) -> list[int]:
        return sorted({error.row for error in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_error(self, row: int, reason: str, code: str = "invalid") -> None:
        self.errors.append(RowError(row, reason, code))


# --- Reading files -------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as text: Excel gives phones as 13912345678 or 13912345678.0, yes/no as booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decode_csv(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise ImportFileError(_("The file is not a CSV text file in UTF-8 or GBK encoding."))


def csv_table(data: bytes | str) -> Iterator[tuple[int, list[str]]]:
    text = data if isinstance(data, str) else _decode_csv(data)
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count) if first_line else ","
    try:
        yield from enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1)
    except csv.Error as error:
        raise ImportFileError(_("The CSV file cannot be read: %(error)s") % {"error": error}) from error


def xlsx_table(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportFileError(
            _("The file cannot be read as an Excel workbook (.xlsx): %(error)s") % {"error": error}
        ) from error
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some programs write wrong dimensions; read every row there is
        for number, cells in enumerate(sheet.iter_rows(min_row=1, values_only=True), 1):
            yield number, list(cells)
    finally:
        workbook.close()


def _read_bytes(source) -> tuple[bytes, str]:
    if isinstance(source, str | PathLike):
        path = Path(source)
        try:
            return path.read_bytes(), path.name
        except OSError as error:
            raise ImportFileError(
                _("Cannot read the file “%(file)s”: %(error)s") % {"file": path, "error": error.strerror}
            ) from error
    data = source.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    return data, Path(str(getattr(source, "name", "") or "")).name


def file_table(source, *, filename: str | None = None) -> Iterator[tuple[int, list[Any]]]:
    """Numbered rows of a .csv or .xlsx file given as a path or an open (binary) file."""
    data, name = _read_bytes(source)
    suffix = Path(filename or name).suffix.lower()
    if not suffix:  # an upload without a name: a zip is a workbook, anything else is CSV
        suffix = ".xlsx" if data.startswith(b"PK\x03\x04") else ".csv"
    if suffix == ".csv":
        return csv_table(data)
    if suffix in (".xlsx", ".xlsm"):
        return xlsx_table(data)
    if suffix == ".xls":
        raise ImportFileError(_("Old Excel files (.xls) cannot be read; save the sheet as .xlsx or CSV."))
    raise ImportFileError(
        _("Unsupported file type “%(suffix)s”: use a .csv or .xlsx file.") % {"suffix": suffix}
    )


def _header_fields(cells: list[Any]) -> tuple[dict[int, str], list[str]]:
    """Column index → field for one header row, and the complaints about repeated columns."""
    columns: dict[int, str] = {}
    seen: dict[str, str] = {}
    problems = []
    for index, cell in enumerate(cells):
        header = cell_text(cell)
        name = _HEADER_FIELDS.get(_key(header))
        if name is None:
            continue
        if name in seen:
            problems.append(
                _("Columns “%(first)s” and “%(second)s” mean the same thing; keep only one.")
                % {"first": seen[name], "second": header}
            )
            continue
        seen[name] = header
        columns[index] = name
    return columns, problems


def _missing_columns_error(missing: Iterable[str]) -> ImportFileError:
    labels = {
        "name": _("name (姓名)"),
        "phone": _("phone (手机号)"),
        "branch": _("branch (党支部)"),
    }
    return ImportFileError(
        _("Required columns are missing: %(columns)s.") % {"columns": ", ".join(labels[m] for m in missing)}
    )


def table_rows(table: Iterable[tuple[int, list[Any]]]) -> Iterator[MemberRow]:
    """Find the header row (the first of the opening rows naming all required columns), then the members."""
    table = iter(table)
    columns: dict[int, str] | None = None
    best: set[str] = set()
    scanned = 0
    for _number, cells in table:
        if not any(cell_text(cell) for cell in cells):
            continue
        found, problems = _header_fields(cells)
        if set(REQUIRED_FIELDS) <= set(found.values()):
            if problems:
                raise ImportFileError(" ".join(problems))
            columns = found
            break
        if len(set(found.values())) > len(best):
            best = set(found.values())
        scanned += 1
        if scanned >= HEADER_SCAN_ROWS:
            break
    if columns is None:
        if not scanned:
            raise ImportFileError(_("The file is empty."))
        raise _missing_columns_error(name for name in REQUIRED_FIELDS if name not in best)
    for number, cells in table:
        values = {name: cell_text(cells[index]) for index, name in columns.items() if index < len(cells)}
        if any(values.values()):  # blank rows (or rows with only a serial number) are skipped
            yield MemberRow(number, values)


def mapping_rows(rows: Iterable[Mapping[str, Any]]) -> Iterator[MemberRow]:
    """Rows given as dicts keyed by header (Chinese or English); numbered as if below a header row."""
    for number, row in enumerate(rows, 2):
        values = {}
        for header, value in row.items():
            name = _HEADER_FIELDS.get(_key(header))
            if name is not None:
                values[name] = cell_text(value)
        if any(values.values()):
            yield MemberRow(number, values)


def rows_read(source, *, filename: str | None = None) -> Iterator[MemberRow]:
    """Member rows from a path, an open file, a list of dicts, or a table (list of lists, header first)."""
    if isinstance(source, str | PathLike) or hasattr(source, "read"):
        return table_rows(file_table(source, filename=filename))
    rows = list(source)
    if rows and isinstance(rows[0], Mapping):
        return mapping_rows(rows)
    return table_rows(enumerate(rows, 1))


# --- Interpreting values -------------------------------------------------------------------------


def category_parse(text: str) -> str:
    code = _CATEGORY_VALUES.get(_key(text)) if text else MemberCategory.ORDINARY
    if code is None:
        raise ValidationError(
            _("Unknown member category “%(value)s” (use 普通党员, 村两委成员 or 党支部书记).")
            % {"value": text}
        )
    return code


def migrant_parse(text: str) -> bool:
    key = _key(text)
    if key in MIGRANT_TRUE:
        return True
    if key in MIGRANT_FALSE:
        return False
    raise ValidationError(_("Unknown migrant value “%(value)s” (use 是 or 否).") % {"value": text})


def phone_parse(text: str) -> str:
    text = text.strip()
    if _SCIENTIFIC.match(text):
        raise ValidationError(
            _("Phone “%(phone)s” was shortened by Excel; format the column as text and type it again.")
            % {"phone": text}
        )
    text = _INTEGRAL_FLOAT.sub(r"\1", text)  # 13912345678.0 from a float cell saved as CSV
    return services.validate_phone(text)


def _message(error: ValidationError | PermissionDenied | Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


class BranchFinder:
    """Branches by name (and township when a name is in several townships), loaded once per import."""

    def __init__(self, actor=None):
        self.by_name: dict[str, list[Branch]] = {}
        for branch in Branch.objects.select_related("township"):
            self.by_name.setdefault(_name_key(branch.name), []).append(branch)
        self.managed: set[int] | None = None
        if actor is not None:
            self.managed = set(branches_for_user(actor).values_list("pk", flat=True))

    @staticmethod
    def _township_matches(branch: Branch, township: str) -> bool:
        wanted = _name_key(township)
        title = _name_key(branch.township.title)
        return wanted in (title, title.removesuffix("党校")) or wanted.removesuffix("党校") == title

    def find(self, name: str, township: str = "") -> Branch:
        if not name:
            raise ValidationError(_("Branch is required."))
        candidates = self.by_name.get(_name_key(name), [])
        if not candidates:
            raise ValidationError(_("Unknown branch “%(branch)s”.") % {"branch": name})
        if township:
            candidates = [branch for branch in candidates if self._township_matches(branch, township)]
            if not candidates:
                raise ValidationError(
                    _("Branch “%(branch)s” is not in township school “%(township)s”.")
                    % {"branch": name, "township": township}
                )
        if len(candidates) > 1 and self.managed is not None:
            # Staff importing their own township's list need not name it.
            mine = [branch for branch in candidates if branch.pk in self.managed]
            candidates = mine or candidates
        if len(candidates) > 1:
            raise ValidationError(
                _(
                    "Branch “%(branch)s” exists in several township schools (%(townships)s); "
                    "add a 镇街党校 (township) column to say which."
                )
                % {"branch": name, "townships": "、".join(b.township.title for b in candidates)}
            )
        return candidates[0]


# --- The import ----------------------------------------------------------------------------------


@dataclass
class _Checked:
    name: str
    phone: str
    branch: Branch
    category: str
    is_migrant: bool


def _row_check(row: MemberRow, finder: BranchFinder, phones: dict[str, int], report: ImportReport):
    """Validate one row before writing; every problem in the row is reported, not just the first."""
    problems: list[tuple[str, str]] = []
    name = row.get("name")
    if not name:
        problems.append(("missing_name", _("Name is required.")))
    phone = ""
    if not row.get("phone"):
        problems.append(("missing_phone", _("Phone is required.")))
    else:
        try:
            phone = phone_parse(row.get("phone"))
        except ValidationError as error:
            problems.append(("invalid_phone", _message(error)))
        else:
            if phone in phones:
                problems.append(
                    (
                        "duplicate_phone",
                        _("Phone %(phone)s is already used in row %(row)s.")
                        % {"phone": phone, "row": phones[phone]},
                    )
                )
            else:
                phones[phone] = row.row
    checks = (
        ("branch", lambda: finder.find(row.get("branch"), row.get("township"))),
        ("category", lambda: category_parse(row.get("category"))),
        ("migrant", lambda: migrant_parse(row.get("migrant"))),
    )
    parsed = {}
    for key, check in checks:
        try:
            parsed[key] = check()
        except ValidationError as error:
            problems.append((f"invalid_{key}", _message(error)))
    for code, reason in problems:
        report.add_error(row.row, reason, code)
    if problems:
        return None
    return _Checked(name, phone, parsed["branch"], parsed["category"], parsed["migrant"])


def _row_write(row: MemberRow, checked: _Checked, actor, report: ImportReport) -> None:
    before = (
        Member.objects.filter(phone=checked.phone)
        .values_list("name", "branch_id", "category", "is_migrant")
        .first()
    )
    if before is None:
        # A new member's login is their phone; a member who changed phone may still hold that login.
        holder = Member.objects.filter(user__username=checked.phone).values_list("name", "phone").first()
        if holder is not None:
            report.add_error(
                row.row,
                _("Login %(phone)s already belongs to member %(name)s, whose phone is now %(other)s.")
                % {"phone": checked.phone, "name": holder[0], "other": holder[1]},
                "login_taken",
            )
            return
    try:
        with transaction.atomic():  # own savepoint: a failure here leaves the other rows alone
            member, created = services.member_upsert(
                name=checked.name,
                phone=checked.phone,
                branch=checked.branch,
                category=checked.category,
                is_migrant=checked.is_migrant,
                actor=actor,
            )
    except PermissionDenied as error:
        report.add_error(row.row, _message(error), "forbidden")
        return
    except ValidationError as error:
        report.add_error(row.row, _message(error), "invalid")
        return
    except IntegrityError as error:
        report.add_error(
            row.row, _("The row could not be saved (%(error)s).") % {"error": error}, "not_saved"
        )
        return
    if created:
        report.created += 1
    elif before == (member.name, member.branch_id, member.category, member.is_migrant):
        report.unchanged += 1
    else:
        report.updated += 1


def members_import(
    rows_or_file, *, actor=None, dry_run: bool = False, filename: str | None = None
) -> ImportReport:
    """Import members from a file (path or open file) or from rows; re-importing updates, never duplicates.

    With an `actor`, their staff scope is enforced row by row (rows for branches or members outside it are
    errors); without one the import is unrestricted (the admin command). `dry_run` checks and writes every
    row, then rolls the whole import back. Raises ImportFileError when the file itself cannot be used.
    """
    if actor is not None and not is_staff_user(actor):
        raise PermissionDenied(_("Only school staff may import members."))
    rows = list(rows_read(rows_or_file, filename=filename))  # file errors surface before any write
    report = ImportReport(dry_run=dry_run)
    phones: dict[str, int] = {}
    with transaction.atomic():
        finder = BranchFinder(actor)
        for row in rows:
            checked = _row_check(row, finder, phones, report)
            if checked is not None:
                _row_write(row, checked, actor, report)
        if dry_run:
            transaction.set_rollback(True)
    return report

"""Reading the member spreadsheets township offices keep (CSV in UTF-8/GBK/UTF-16, or XLSX) into
numbered rows keyed by field (`name`, `phone`, `branch`, `category`, `migrant`, `township`), whatever
language the headers are in. Row numbers are the spreadsheet's own: the header is row 1.
"""

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

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
_MARKERS = re.compile(r"[\s*:：\"'“”‘’「」『』]|\([^)]*\)")
INTEGRAL_FLOAT = re.compile(r"^(\d+)\.0+$")


def loose_key(text: str) -> str:
    """Compare headers and values the way people mean them: full-width = half-width, no spaces, quotes,
    required-field stars or remarks in brackets ("手机号（必填）" is "手机号", 村“两委”成员 is 村两委成员)."""
    return _MARKERS.sub("", unicodedata.normalize("NFKC", str(text))).casefold()


_HEADER_FIELDS = {loose_key(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


class ImportFileError(Exception):
    """The file as a whole cannot be imported: unreadable, unknown type, missing columns."""


class TooManyRowsError(ImportFileError):
    """More member rows than one import may take (checked while reading, before any database work)."""

    def __init__(self, max_rows: int):
        self.max_rows = max_rows
        super().__init__(
            _("The file has more than %(max)s member rows; split it into files of at most %(max)s rows.")
            % {"max": max_rows}
        )


@dataclass(frozen=True)
class MemberRow:
    row: int
    values: Mapping[str, str]

    def get(self, name: str) -> str:
        return self.values.get(name, "")


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
        name = _HEADER_FIELDS.get(loose_key(header))
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


def table_rows(
    table: Iterable[tuple[int, list[Any]]], *, max_lines: int | None = None
) -> Iterator[MemberRow]:
    """Find the header row (the first of the opening rows naming all required columns), then the members.
    Past `max_lines` spreadsheet lines (blank ones too) TooManyRowsError stops the reading."""
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
        if max_lines is not None and number > max_lines:
            raise TooManyRowsError(max_lines)
        values = {name: cell_text(cells[index]) for index, name in columns.items() if index < len(cells)}
        if any(values.values()):  # blank rows (or rows with only a serial number) are skipped
            yield MemberRow(number, values)


def mapping_rows(rows: Iterable[Mapping[str, Any]]) -> Iterator[MemberRow]:
    """Rows given as dicts keyed by header (Chinese or English); numbered as if below a header row."""
    for number, row in enumerate(rows, 2):
        values = {}
        for header, value in row.items():
            name = _HEADER_FIELDS.get(loose_key(header))
            if name is not None:
                values[name] = cell_text(value)
        if any(values.values()):
            yield MemberRow(number, values)


def _rows_iter(source, *, filename: str | None, max_lines: int | None) -> Iterator[MemberRow]:
    if isinstance(source, str | PathLike) or hasattr(source, "read"):
        return table_rows(file_table(source, filename=filename), max_lines=max_lines)
    rows = list(source)
    if rows and isinstance(rows[0], Mapping):
        return mapping_rows(rows)
    return table_rows(enumerate(rows, 1), max_lines=max_lines)


def rows_read(source, *, filename: str | None = None, max_rows: int | None = None) -> list[MemberRow]:
    """Member rows from a path, an open file, a list of dicts, or a table (list of lists, header first).

    With `max_rows`, reading stops with TooManyRowsError at the first member row past it, and also when
    the sheet runs on for much longer than that (blank or formatted rows cost time to read too).
    """
    max_lines = None if max_rows is None else 2 * max_rows + 100
    rows = []
    try:
        for row in _rows_iter(source, filename=filename, max_lines=max_lines):
            if max_rows is not None and len(rows) >= max_rows:
                raise TooManyRowsError(max_rows)
            rows.append(row)
    except TooManyRowsError as error:
        if error.max_rows != max_rows:  # the sheet ran past max_lines: still "too many rows" to the user
            raise TooManyRowsError(max_rows) from error
        raise
    return rows

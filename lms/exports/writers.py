"""Spreadsheet files written row by row: XLSX with openpyxl's write-only workbook (rows go to a
temporary file, not memory) and CSV with a BOM so Excel reads the Chinese right.

Every cell the platform writes goes through `formula_safe` (here, in the Wagtail list exports and the
import templates), so a name or note typed or imported as `=HYPERLINK(...)` is never run as a formula.
"""

import csv
from collections.abc import Sequence
from numbers import Number
from typing import BinaryIO

from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

# What spreadsheet programs read as the start of a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value):
    """Text that a spreadsheet would run as a formula gets a leading single quote (OWASP's advice);
    numbers, dates, booleans and None stay what they are, so -5 stays a number."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def formula_safe_text(value) -> str:
    """A CSV cell: numbers and None as csv writes them, anything else as safe text."""
    if value is None or isinstance(value, Number):
        return value
    return formula_safe(str(value))


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"xlsx": XLSX_TYPE, "csv": "text/csv; charset=utf-8"}


class XlsxSheet:
    def __init__(self, output: BinaryIO, title: str, headings: Sequence):
        self.output = output
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(title=str(title)[:31] or "Sheet1")
        self.sheet.append([formula_safe(str(heading)) for heading in headings])

    def cell(self, value):
        cell = WriteOnlyCell(self.sheet, formula_safe(value))
        if cell.data_type == "f":  # never a formula, whatever openpyxl guesses
            cell.data_type = "s"
        return cell

    def append(self, row: Sequence) -> None:
        self.sheet.append([self.cell(value) for value in row])

    def close(self) -> None:
        self.workbook.save(self.output)


class CsvSheet:
    def __init__(self, output: BinaryIO, title: str, headings: Sequence):
        self.output = output
        self.text = _TextOut(output)
        self.writer = csv.writer(self.text)
        self.text.write("\ufeff")
        self.writer.writerow([formula_safe_text(heading) for heading in headings])

    def append(self, row: Sequence) -> None:
        self.writer.writerow([formula_safe_text(value) for value in row])

    def close(self) -> None:
        self.output.flush()


class _TextOut:
    """Text written to a binary file as UTF-8 (csv.writer wants text)."""

    def __init__(self, output: BinaryIO):
        self.output = output

    def write(self, text: str) -> int:
        return self.output.write(text.encode("utf-8"))


def open_sheet(fmt: str, output: BinaryIO, title: str, headings: Sequence) -> XlsxSheet | CsvSheet:
    return (CsvSheet if fmt == "csv" else XlsxSheet)(output, title, headings)

"""Spreadsheet files written row by row: XLSX with openpyxl's write-only workbook (rows go to a
temporary file, not memory) and CSV with a BOM so Excel reads the Chinese right."""

import csv
from collections.abc import Sequence
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"xlsx": XLSX_TYPE, "csv": "text/csv; charset=utf-8"}


class XlsxSheet:
    def __init__(self, output: BinaryIO, title: str, headings: Sequence):
        self.output = output
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(title=str(title)[:31] or "Sheet1")
        self.sheet.append([str(heading) for heading in headings])

    def cell(self, value):
        cell = WriteOnlyCell(self.sheet, value)
        if cell.data_type == "f":  # a name or note starting with "=" is text, never a formula
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
        self.writer.writerow([str(heading) for heading in headings])

    def append(self, row: Sequence) -> None:
        self.writer.writerow(row)

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

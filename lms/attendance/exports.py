"""Spreadsheet downloads of the hours reports: CSV (streamed, with a BOM so Excel reads the Chinese
right) and XLSX (built with openpyxl in write-only mode). Headings are translated into Chinese,
whatever language the staff user reads the admin in: the files go to the county's offices."""

import csv
from collections.abc import Iterable, Sequence
from io import BytesIO

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import translation
from openpyxl import Workbook

EXPORT_LANGUAGE = "zh-hans"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("xlsx", "csv")


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer's output."""

    def write(self, value):
        return value


def headings(labels: Sequence) -> list[str]:
    with translation.override(EXPORT_LANGUAGE):
        return [str(label) for label in labels]


def csv_response(filename: str, labels: Sequence, rows: Iterable[Sequence]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(headings(labels))
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(filename: str, labels: Sequence, rows: Iterable[Sequence], title: str = "") -> HttpResponse:
    workbook = Workbook(write_only=True)
    with translation.override(EXPORT_LANGUAGE):
        sheet = workbook.create_sheet(title=str(title)[:31] or "Sheet1")
    sheet.append(headings(labels))
    for row in rows:
        sheet.append(list(row))
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def spreadsheet_response(
    fmt: str, filename: str, labels: Sequence, rows: Iterable[Sequence], title: str = ""
):
    if fmt == "csv":
        return csv_response(filename, labels, rows)
    return xlsx_response(filename, labels, rows, title)

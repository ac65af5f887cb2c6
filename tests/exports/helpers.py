"""Exports in tests: ask for one as a user would (the report's Export button), let the task run, and
download the file from the job's page. Other apps' export tests use `download_export`."""

import csv
import io

from django.test import TestCase
from django.urls import resolve, reverse
from openpyxl import load_workbook

from lms.exports.models import ExportJob


def start_export(client, url: str, params: dict) -> ExportJob:
    """The Export button: the request redirects to the job's page (tasks run after commit)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.get(url, params)
    assert response.status_code == 302, response
    match = resolve(response["Location"])
    assert match.url_name == "job", response["Location"]
    return ExportJob.objects.get(pk=match.kwargs["pk"])


def download_export(client, url: str, params: dict):
    """Start the export (the immediate backend builds it at once) and download its file."""
    job = start_export(client, url, params)
    job.refresh_from_db()
    assert job.status == "done", (job.status, job.error)
    response = client.get(reverse("exports:download", args=[job.pk]))
    assert response.status_code == 200
    return response


def file_rows(response, fmt: str) -> list[list]:
    content = b"".join(response.streaming_content)
    if fmt == "csv":
        assert response["Content-Type"].startswith("text/csv")
        text = content.decode("utf-8")
        assert text.startswith("\ufeff")
        return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [["" if cell is None else cell for cell in row] for row in sheet.iter_rows(values_only=True)]

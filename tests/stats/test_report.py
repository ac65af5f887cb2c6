"""The annual report: started by staff, built by the task with progress, the PDF's text holds the
figures and the charts' words, the XLSX the classes held; only its owner downloads it."""

import io

from openpyxl import load_workbook
from pypdf import PdfReader

from lms.stats.models import AnnualReport, ReportStatus
from tests.stats.conftest import YEAR


def test_county_report_pdf_and_xlsx(client, known, django_capture_on_commit_callbacks):
    client.force_login(known["org"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/stats/reports/", {"year": YEAR})
    report = AnnualReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/stats/reports/{report.pk}/"
    assert report.status == ReportStatus.DONE and report.percent == 100  # immediate backend in tests
    status = client.get(f"/admin/stats/reports/{report.pk}/status/").json()
    assert status["finished"] and status["pdf_url"]
    pdf = b"".join(client.get(status["pdf_url"]).streaming_content)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "年度党员教育培训工作报告" in text.replace(" ", "").replace("\n", "")
    assert known["town_a"].title in text and known["town_b"].title in text
    assert "66.7" in text and "50.0" in text  # township A's and the county's share met
    assert "培训班" in text  # the classes held are listed
    book = load_workbook(io.BytesIO(b"".join(client.get(status["xlsx_url"]).streaming_content)))
    held = book.worksheets[-1]
    assert held.max_row == 1 + 3  # the three classes held this year


def test_township_report_is_the_townships_and_only_the_owner_downloads(
    client, known, django_capture_on_commit_callbacks
):
    client.force_login(known["staff_a"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/stats/reports/", {"year": YEAR})
    report = AnnualReport.objects.get()
    assert report.status == ReportStatus.DONE
    pdf = b"".join(client.get(f"/admin/stats/reports/{report.pk}/download.pdf").streaming_content)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert known["town_a"].title in text and known["town_b"].title not in text
    client.force_login(known["staff_b"])
    assert client.get(f"/admin/stats/reports/{report.pk}/download.pdf").status_code == 404
    assert client.get(f"/admin/stats/reports/{report.pk}/").status_code == 404
    # another township's report may not be asked for
    assert (
        client.post("/admin/stats/reports/", {"year": YEAR, "township": known["town_a"].pk}).status_code
        == 404
    )

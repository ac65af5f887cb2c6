"""Exports as background work: the request records a job and returns; the worker (django-tasks-db's
`db_worker`) builds the file in chunks as the user who asked; only that user sees its progress and
downloads it."""

import json
import math
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from lms.attendance.admin import reports_behind
from lms.exports import services
from lms.exports.models import ExportJob, ExportKind, ExportStatus
from lms.people.models import MemberCategory
from tests import factories
from tests.exports.conftest import run_worker
from tests.exports.helpers import file_rows, start_export

pytestmark = pytest.mark.django_db

YEAR = 2026
BEHIND = reverse("attendance_hours_behind:index")
TOWNSHIPS = reverse("attendance_hours_townships:index")
MEMBERS = reverse("people_members:index")


def job_urls(job):
    return [reverse(f"exports:{name}", args=[job.pk]) for name in ("job", "status", "download")]


def add_members(county, count: int, branch="branch_a"):
    return [
        factories.MemberFactory(branch=county[branch], category=MemberCategory.ORDINARY) for _ in range(count)
    ]


def chinese(labels) -> list[str]:
    with translation.override("zh-hans"):
        return [str(label) for label in labels]


# --- The request returns; the worker builds ---------------------------------------------------------


def test_the_request_records_a_job_and_builds_nothing(client, county, database_tasks):
    client.force_login(county["staff_a"])
    job = start_export(client, BEHIND, {"year": YEAR, "export": "xlsx"})
    assert (job.user, job.kind, job.fmt) == (county["staff_a"], ExportKind.MEMBERS_BEHIND, "xlsx")
    assert job.params == {"year": YEAR, "township": None, "branch": None}
    assert job.status == ExportStatus.QUEUED and not job.file and job.rows_done == 0
    task = DBTaskResult.objects.get()
    assert task.task_path == "lms.exports.tasks.export_build" and task.queue_name == "exports"
    assert task.args_kwargs == {"args": [job.pk], "kwargs": {}}
    assert task.status == "READY"
    page = client.get(reverse("exports:job", args=[job.pk]))
    assert page.status_code == 200
    assert page.context["state"]["status"] == "queued" and "data-export-waiting" in page.content.decode()


def test_the_worker_builds_the_file_as_the_user_who_asked(client, county, database_tasks):
    member_a2 = factories.MemberFactory(branch=county["branch_a"], name="甲二")
    client.force_login(county["staff_a"])
    job = start_export(client, BEHIND, {"year": YEAR, "export": "xlsx"})
    run_worker()
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE, job.error
    assert job.rows_done == job.rows_total == 2 and job.finished_at
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    state = client.get(reverse("exports:status", args=[job.pk])).json()
    assert state["status"] == "done" and state["percent"] == 100 and state["finished"]
    assert state["download_url"] == reverse("exports:download", args=[job.pk])
    response = client.get(state["download_url"])
    assert response.status_code == 200
    assert f"members-behind-{YEAR}.xlsx" in response["Content-Disposition"]
    header, *rows = file_rows(response, "xlsx")
    assert header == chinese(reports_behind.HEADINGS)
    # Township A's staff: their two members, never township B's.
    assert sorted(row[3] for row in rows) == sorted([county["member_a"].phone, member_a2.phone])
    assert county["member_b"].phone not in {row[3] for row in rows}


def test_township_filter_of_another_township_gives_an_empty_file(client, county):
    client.force_login(county["staff_a"])
    job = start_export(client, BEHIND, {"year": YEAR, "township": county["town_b"].pk, "export": "csv"})
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.rows_total == 0
    header, *rows = file_rows(client.get(reverse("exports:download", args=[job.pk])), "csv")
    assert header == chinese(reports_behind.HEADINGS) and rows == []


def test_the_file_is_private(client, county):
    client.force_login(county["staff_a"])
    job = start_export(client, BEHIND, {"year": YEAR, "export": "xlsx"})
    job.refresh_from_db()
    path = Path(job.file.path)
    assert path.is_file()
    assert path.is_relative_to(Path(settings.EXPORTS_ROOT))
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT))
    with pytest.raises(ValueError, match="no public URL"):
        job.file.url  # noqa: B018


# --- Who may see what ---------------------------------------------------------------------------------


def test_only_the_owner_sees_and_downloads_a_job(client, county):
    client.force_login(county["staff_a"])
    job = start_export(client, BEHIND, {"year": YEAR, "export": "xlsx"})
    for url in job_urls(job):
        assert client.get(url).status_code == 200, url
    for other in ("staff_b", "city_staff", "org"):  # even the organization department
        client.force_login(county[other])
        for url in job_urls(job):
            assert client.get(url).status_code == 404, (other, url)
        assert job.pk not in [row["job"].pk for row in client.get(reverse("exports:index")).context["rows"]]
    client.logout()
    for url in [*job_urls(job), reverse("exports:index")]:
        response = client.get(url)
        assert response.status_code == 302 and reverse("wagtailadmin_login") in response["Location"]


def test_who_may_not_see_the_report_may_not_export_it(client, county):
    client.force_login(county["staff_a"])
    assert client.get(TOWNSHIPS, {"year": YEAR, "export": "xlsx"}).status_code == 403
    client.force_login(county["member_a"].user)
    assert client.get(BEHIND, {"year": YEAR, "export": "xlsx"}).status_code in (302, 403)
    assert not ExportJob.objects.exists()
    with pytest.raises(PermissionDenied):
        services.export_start(
            user=county["staff_a"], kind=ExportKind.TOWNSHIP_SUMMARY, params={"year": YEAR}, fmt="xlsx"
        )


def test_a_user_who_lost_the_right_meanwhile_gets_no_file(client, county, database_tasks):
    client.force_login(county["org"])
    job = start_export(client, TOWNSHIPS, {"year": YEAR, "export": "csv"})
    county["org"].groups.clear()
    run_worker()
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and not job.file
    assert job.error == "您已无权查看此导出的内容。"


# --- One job per request ------------------------------------------------------------------------------


def test_asking_again_while_it_waits_returns_the_same_job(client, county, database_tasks):
    client.force_login(county["staff_a"])
    first = start_export(client, BEHIND, {"year": YEAR, "export": "xlsx"})
    again = start_export(client, BEHIND, {"year": YEAR, "export": "xlsx", "p": 3})
    assert again == first
    other_format = start_export(client, BEHIND, {"year": YEAR, "export": "csv"})
    other_year = start_export(client, BEHIND, {"year": YEAR - 1, "export": "xlsx"})
    assert len({first.pk, other_format.pk, other_year.pk}) == 3
    assert DBTaskResult.objects.count() == 3
    run_worker()
    assert set(ExportJob.objects.values_list("status", flat=True)) == {ExportStatus.DONE}
    later = start_export(client, BEHIND, {"year": YEAR, "export": "xlsx"})  # a fresh file
    assert later.pk not in (first.pk, other_format.pk, other_year.pk)


def test_a_job_whose_worker_died_is_given_up_on_when_asked_again(client, county, database_tasks):
    client.force_login(county["staff_a"])
    job = start_export(client, BEHIND, {"year": YEAR, "export": "xlsx"})
    long_ago = timezone.now() - timedelta(minutes=settings.EXPORTS_STALE_MINUTES + 1)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, updated_at=long_ago)
    again = start_export(client, BEHIND, {"year": YEAR, "export": "xlsx"})
    assert again.pk != job.pk and again.status == ExportStatus.QUEUED
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and "后台" in job.error


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_click_makes_one_job(county, database_tasks):
    from tests.concurrency import run_at_once
    from tests.services import need_postgres

    need_postgres()
    jobs = []
    params = {"year": YEAR, "township": None, "branch": None}

    def click(_i):
        jobs.append(
            services.export_start(
                user=county["staff_a"], kind=ExportKind.MEMBERS_BEHIND, params=params, fmt="xlsx"
            )
        )

    assert run_at_once(8, click) == []
    assert ExportJob.objects.count() == 1
    assert {job.pk for job in jobs} == {ExportJob.objects.get().pk}
    assert DBTaskResult.objects.count() == 1


# --- Progress, chunks, queries --------------------------------------------------------------------------


def build_queries(county, user) -> tuple[int, ExportJob]:
    job = services.export_start(user=user, kind=ExportKind.MEMBERS_BEHIND, params={"year": YEAR}, fmt="xlsx")
    with CaptureQueriesContext(connection) as captured:
        services.export_build(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE, job.error
    return len(captured), job


def test_the_tasks_queries_do_not_grow_with_the_rows(county, database_tasks):
    few, job = build_queries(county, county["org"])
    assert job.rows_total == 2
    add_members(county, 9)
    add_members(county, 9, branch="branch_b")
    many, job = build_queries(county, county["org"])
    assert job.rows_total == 20
    assert many == few


def test_progress_is_written_once_per_chunk_and_reaches_the_total(
    county, database_tasks, settings, monkeypatch
):
    settings.EXPORTS_CHUNK_ROWS = 4
    add_members(county, 8)  # 10 behind
    seen = []
    progress = services._progress
    monkeypatch.setattr(
        services, "_progress", lambda job_id, done: (seen.append(done), progress(job_id, done))
    )
    few, job = build_queries(county, county["org"])
    assert seen == [4, 8]
    assert job.rows_done == job.rows_total == 10 and job.percent == 100
    add_members(county, 12)  # 22 behind: five chunks of four
    seen.clear()
    many, job = build_queries(county, county["org"])
    assert seen == [4, 8, 12, 16, 20] and job.rows_done == 22
    # Nothing per row. Per chunk: its members, the year's rules, their minutes in class, their online
    # study minutes, one progress write.
    assert many - few == 5 * (math.ceil(22 / 4) - math.ceil(10 / 4))


def test_the_request_costs_the_same_however_many_members(client, county, database_tasks):
    client.force_login(county["org"])

    def request_queries(year):
        with CaptureQueriesContext(connection) as captured:
            start_export(client, BEHIND, {"year": year, "export": "xlsx"})
        return len(captured)

    few = request_queries(YEAR)
    add_members(county, 30)
    assert request_queries(YEAR - 1) == few


# --- Failures ------------------------------------------------------------------------------------------


def test_a_failing_task_records_the_error_in_words(client, county, database_tasks, monkeypatch):
    from lms.attendance.exports import MembersBehindExport

    def broken(self):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(MembersBehindExport, "open", broken)
    client.force_login(county["staff_a"])
    job = start_export(client, BEHIND, {"year": YEAR, "export": "xlsx"})
    run_worker()
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.finished_at and not job.file
    assert "导出文件未能生成" in job.error and "RuntimeError: 磁盘已满" in job.error
    assert DBTaskResult.objects.get().status == "FAILED"  # the worker's own record says so too
    state = client.get(reverse("exports:status", args=[job.pk])).json()
    assert state["finished"] and state["error"] == job.error and state["download_url"] == ""
    page = client.get(reverse("exports:job", args=[job.pk])).content.decode()
    assert "磁盘已满" in page
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404


# --- The other exports ---------------------------------------------------------------------------------


def test_township_summary_export(client, county):
    client.force_login(county["org"])
    job = start_export(client, TOWNSHIPS, {"year": YEAR, "export": "xlsx"})
    job.refresh_from_db()
    header, *rows = file_rows(client.get(reverse("exports:download", args=[job.pk])), "xlsx")
    assert header[0] == "镇街党校"
    assert [row[0] for row in rows][:2] == [county["town_a"].title, county["town_b"].title]
    assert [int(value) for value in rows[-1][1:4]] == [2, 0, 2]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_member_list_export_follows_the_lists_scope_and_filters(client, county, fmt):
    migrant = factories.MemberFactory(branch=county["branch_a"], is_migrant=True, name="流动甲")
    client.force_login(county["staff_a"])
    job = start_export(client, MEMBERS, {"export": fmt})
    header, *rows = file_rows(client.get(reverse("exports:download", args=[job.pk])), fmt)
    assert header[:2] == ["姓名", "电话"] and header[-1] == "流动党员"
    by_phone = {str(row[1]): row for row in rows}
    assert set(by_phone) == {county["member_a"].phone, migrant.phone}  # never township B's
    assert by_phone[migrant.phone][-1] == "是" and by_phone[county["member_a"].phone][-1] == "否"
    client.force_login(county["org"])
    job = start_export(client, MEMBERS, {"branch": county["branch_b"].pk, "export": fmt})
    _header, *rows = file_rows(client.get(reverse("exports:download", args=[job.pk])), fmt)
    assert [str(row[1]) for row in rows] == [county["member_b"].phone]


def test_member_list_export_queries_do_not_grow_with_the_members(county, database_tasks):
    def build(user):
        job = services.export_start(user=user, kind=ExportKind.MEMBERS, params={"query": []}, fmt="xlsx")
        with CaptureQueriesContext(connection) as captured:
            services.export_build(job_id=job.pk)
        job.refresh_from_db()
        assert job.status == ExportStatus.DONE, job.error
        return len(captured), job.rows_total

    few, rows = build(county["org"])
    assert rows == 2
    add_members(county, 10)
    add_members(county, 10, branch="branch_b")
    many, rows = build(county["org"])
    assert rows == 22 and many == few


# --- My exports and expiry ---------------------------------------------------------------------------


def test_my_exports_lists_my_recent_exports(client, county):
    client.force_login(county["staff_a"])
    done = start_export(client, BEHIND, {"year": YEAR, "export": "xlsx"})
    response = client.get(reverse("exports:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-testid="export-list-row"') == 1
    assert reverse("exports:download", args=[done.pk]) in page
    home = BeautifulSoup(client.get(reverse("wagtailadmin_home")).content, "html.parser")
    menu = json.dumps(json.loads(home.select_one("#wagtail-sidebar-props").string), ensure_ascii=False)
    assert '"label": "我的导出"' in menu and f'"url": "{reverse("exports:index")}"' in menu


def test_old_exports_are_pruned_with_their_files(client, county, frozen_clock):
    client.force_login(county["staff_a"])
    job = start_export(client, BEHIND, {"year": YEAR, "export": "xlsx"})
    job.refresh_from_db()
    path = Path(job.file.path)
    assert services.exports_prune() == 0 and path.exists()
    frozen_clock.shift(timedelta(days=settings.EXPORTS_KEEP_DAYS, minutes=1))
    # Past its days the download is gone even before the prune runs.
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404
    out = StringIO()
    call_command("prune_exports", stdout=out)  # the daily cron line
    assert out.getvalue().strip() == "1 old exports deleted."
    assert not ExportJob.objects.exists() and not path.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_builds_what_the_request_left_waiting(client, county, database_tasks):
    """The whole path with real processes: the request commits a waiting job and returns; `manage.py
    db_worker --batch` (a process of its own, as under `make run` and in production) builds it."""
    from tests.exports.conftest import run_worker_process
    from tests.services import need_postgres

    need_postgres()
    client.force_login(county["staff_a"])
    response = client.get(BEHIND, {"year": YEAR, "export": "xlsx"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.QUEUED and not job.file
    assert client.get(reverse("exports:status", args=[job.pk])).json()["status"] == "queued"
    worker = run_worker_process()
    assert worker.returncode == 0, worker.stderr
    state = client.get(reverse("exports:status", args=[job.pk])).json()
    assert state["status"] == "done" and state["rows_done"] == state["rows_total"] == 1, state
    download = client.get(state["download_url"])
    assert download.status_code == 200
    assert not hasattr(download, "template_name"), (download.template_name, download.content.decode()[-3000:])
    _header, *rows = file_rows(download, "xlsx")
    assert [row[3] for row in rows] == [county["member_a"].phone]

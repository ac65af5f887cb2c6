"""Who still owes make-up for a recording, as a background export: the video's page records a job and
opens its progress page; the worker writes the members the asking user may see, in chunks, with a
constant number of queries per chunk; the cells cannot be formulas."""

import math

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from lms.exports import services as exports
from lms.exports.models import ExportJob, ExportKind, ExportStatus
from tests import factories
from tests.exports.conftest import database_tasks, run_worker  # noqa: F401 (its fixture)
from tests.exports.helpers import download_export, file_rows, start_export
from tests.learning.conftest import MIDDAY
from tests.learning.test_staff_views import add_absent, watched_by

pytestmark = pytest.mark.django_db


def video_url(video) -> str:
    return reverse("learning_admin:video", args=[video.pk])


@pytest.mark.usefixtures("database_tasks")
def test_the_button_records_a_job_for_the_worker(missed, client):
    client.force_login(missed["staff_a"])
    job = start_export(client, video_url(missed["recording"]), {"export": "csv"})
    assert (job.kind, job.fmt, job.user) == (ExportKind.MAKEUP_OWED, "csv", missed["staff_a"])
    assert job.params == {"video": missed["recording"].pk, "township": None}
    assert job.status == ExportStatus.QUEUED and not job.file
    task = DBTaskResult.objects.get(task_path="lms.exports.tasks.export_build")
    assert task.queue_name == "exports" and task.args_kwargs["args"] == [job.pk]
    run_worker()
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.rows_done == job.rows_total == 1
    rows = file_rows(client.get(reverse("exports:download", args=[job.pk])), "csv")
    assert [row[2] for row in rows[1:]] == [missed["member_a"].name]
    # The file is its owner's only.
    client.force_login(missed["org"])
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404


def test_township_staff_get_their_township_the_department_everyone(missed, client):
    recording = missed["recording"]
    ours = add_absent(missed, 2)
    theirs = add_absent(missed, 2, branch=missed["branch_b"])
    migrant = factories.MemberFactory(branch=missed["branch_a"], is_migrant=True, name="流动甲")
    watched_by(ours[0], recording, 900)

    def names(user, **params):
        client.force_login(user)
        rows = file_rows(download_export(client, video_url(recording), {"export": "xlsx", **params}), "xlsx")
        return {row[2]: row for row in rows[1:]}

    town_a = {missed["member_a"].name, *(m.name for m in ours), migrant.name}
    got = names(missed["staff_a"])
    assert set(got) == town_a
    assert got[ours[0].name][5] == "缺勤" and got[ours[0].name][6] == 50
    assert got[migrant.name][4] == "是" and got[migrant.name][5] == ""
    assert set(names(missed["org"])) == town_a | {m.name for m in theirs}
    assert set(names(missed["org"], township=missed["town_b"].pk)) == {m.name for m in theirs}
    # Another township's staff may not see the video at all: no export is recorded.
    with pytest.raises(PermissionDenied):
        exports.export_start(
            user=missed["staff_b"], kind=ExportKind.MAKEUP_OWED, params={"video": recording.pk}, fmt="xlsx"
        )
    client.force_login(missed["staff_b"])
    assert client.get(video_url(recording), {"export": "xlsx"}).status_code == 404
    assert not ExportJob.objects.filter(user=missed["staff_b"]).exists()


def test_cells_are_never_formulas(missed, client):
    [member] = add_absent(missed, 1)
    member.name = '=HYPERLINK("http://evil.example/","点")'
    member.phone = "+8613800000000"
    member.save(update_fields=["name", "phone"])
    client.force_login(missed["staff_a"])
    for fmt in ("xlsx", "csv"):
        rows = file_rows(download_export(client, video_url(missed["recording"]), {"export": fmt}), fmt)
        row = next(row for row in rows if "HYPERLINK" in str(row[2]))
        assert row[2] == "'" + member.name and row[3] == "'+8613800000000"
        assert str(row[6]) == "0"  # numbers stay numbers (CSV: text of a number)


def build(user, video) -> tuple[int, ExportJob]:
    job = exports.export_start(user=user, kind=ExportKind.MAKEUP_OWED, params={"video": video.pk}, fmt="xlsx")
    with CaptureQueriesContext(connection) as captured:
        exports.export_build(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE, job.error
    return len(captured), job


def test_progress_per_chunk_and_queries_constant_per_chunk(missed, settings, monkeypatch):
    settings.EXPORTS_CHUNK_ROWS = 2
    recording = missed["recording"]
    for member in add_absent(missed, 3):  # 4 owe make-up with member_a
        watched_by(member, recording, 300)
    seen = []
    progress = exports._progress
    monkeypatch.setattr(
        exports, "_progress", lambda job_id, done: (seen.append(done), progress(job_id, done))
    )
    few, job = build(missed["org"], recording)
    assert seen == [2, 4] and job.rows_done == job.rows_total == 4 and job.percent == 100
    for member in add_absent(missed, 6, branch=missed["branch_b"]):  # 10 in all
        watched_by(member, recording, 600)
    seen.clear()
    many, job = build(missed["org"], recording)
    assert seen == [2, 4, 6, 8, 10] and job.rows_done == 10
    # Nothing per row; per chunk: its members with attendance and watched seconds, one progress write.
    assert many - few == 2 * (math.ceil(10 / 2) - math.ceil(4 / 2))


@pytest.fixture(autouse=True)
def _midday(frozen_clock):
    frozen_clock.move_to(MIDDAY)

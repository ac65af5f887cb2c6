"""The project's other tasks under the database backend: their arguments are stored as JSON and the
worker runs them (what `make run` and production do since TASKS_BACKEND=database)."""

import pytest
from django.test import TestCase
from django_tasks_db.models import DBTaskResult

from lms.accounts import sms
from lms.accounts.models import CodePurpose
from lms.accounts.services import code_request
from lms.attendance import tasks as attendance_tasks
from lms.evaluation import tasks as evaluation_tasks
from lms.exports import tasks as export_tasks
from lms.scheduling import tasks as scheduling_tasks
from tests.exports.conftest import run_worker

pytestmark = pytest.mark.django_db


def test_the_activation_sms_waits_for_the_worker(county, database_tasks, monkeypatch):
    monkeypatch.setattr(sms, "outbox", [])
    with TestCase.captureOnCommitCallbacks(execute=True):
        code_request(phone=county["member_a"].phone, purpose=CodePurpose.ACTIVATE, client_ip="10.0.0.9")
    assert sms.outbox == []  # the request answered without the gateway
    task = DBTaskResult.objects.get()
    assert task.task_path == "lms.accounts.tasks.sms_deliver" and task.queue_name == "default"
    run_worker()
    assert [message.to for message in sms.outbox] == [county["member_a"].phone]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.parametrize(
    "task",
    [
        attendance_tasks.attendance_sessions_close,
        scheduling_tasks.class_statuses_advance,
        evaluation_tasks.evaluation_sweep,
        export_tasks.exports_prune,
    ],
    ids=lambda task: task.name,
)
def test_periodic_tasks_run_in_the_worker(county, database_tasks, task):
    result = task.enqueue()
    assert DBTaskResult.objects.get(pk=result.id).status == "READY"
    run_worker()
    done = DBTaskResult.objects.get(pk=result.id)
    assert done.status == "SUCCESSFUL", done.exception_class_path
    assert isinstance(done.return_value, int)

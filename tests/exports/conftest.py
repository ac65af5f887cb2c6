import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from tests.clock import shift_env

ROOT = Path(__file__).resolve().parents[2]
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "exports"]}}


@pytest.fixture
def database_tasks(settings):
    """Tasks wait in the database, as in production, until a worker runs them."""
    settings.TASKS = DATABASE_TASKS
    return settings


def run_worker():
    """`manage.py db_worker --batch` in this process: run every waiting task, then stop.

    The worker checks its database connection between tasks like a request does, which closes a
    connection left outside autocommit: here, the test's own transaction. That check alone is
    skipped; the tasks are claimed, run and recorded by the worker's own code."""
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command(
            "db_worker",
            batch=True,
            queue_name="*",
            startup_delay=False,
            reload=False,
            interval=0,
            verbosity=0,
        )


def run_worker_process(timeout: float = 120) -> subprocess.CompletedProcess:
    """The real `manage.py db_worker --batch` as a process of its own, on the test database (the
    test must commit: `transaction=True`) and this test's export folder and clock."""
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    env = {name: value for name, value in os.environ.items() if name != "PYTEST_XDIST_WORKER"}
    env |= {
        "DJANGO_SETTINGS_MODULE": "lms.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}",
        "TASKS_BACKEND": "database",
        "LMS_TEST_EXPORTS_ROOT": str(settings.EXPORTS_ROOT),
        **shift_env(),
    }
    # manage.py db_worker, on this test's clock (tests/clock.py).
    start = (
        "import sys; from tests.clock import follow_parent_clock; follow_parent_clock(); "
        "from django.core.management import execute_from_command_line; execute_from_command_line(sys.argv)"
    )
    command = [sys.executable, "-c", start, "db_worker", "--batch", "--queue-name", "*"]
    command += ["--no-startup-delay", "--no-reload", "--interval", "0"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)

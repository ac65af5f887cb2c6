"""The test databases on PostgreSQL under pytest-xdist: migrated once, copied for each process.

pytest-django gives each test process (gw0, gw1, ...) its own database and, left alone, runs every
migration in each of them: about 35 s of CPU per process. Here the first process to get there migrates
`<test name>_tpl_<fingerprint>` (built under another name and renamed when complete, so a process that
dies half-way leaves nothing that looks finished) while the others wait on a file lock; then each
copies it with `CREATE DATABASE ... TEMPLATE`, which takes about a second.

The fingerprint (`code_fingerprint`) is a digest of the project's app code, migrations included, and
of the installed packages' versions, so a template is only ever used for the code it was made with.
It is kept after the run: the next run on the same database (CI's second pass, a developer's next
`make test` with the same code) copies it instead of migrating again (45–65 s). At the start the
controlling process drops the templates of other fingerprints and any half-built one.
`LMS_TEST_TEMPLATE=drop` drops it at the end too.

SQLite, a single process, `--reuse-db` and `--nomigrations` keep pytest-django's own behaviour.
"""

import fcntl
import hashlib
import os
import tempfile
import time
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest
from django.db import OperationalError


def _worker_id(config) -> str | None:
    return getattr(config, "workerinput", {}).get("workerid")


ROOT = Path(__file__).resolve().parent.parent


@cache
def code_fingerprint() -> str:
    """A digest of what a migrated database depends on: every Python file of the project's apps (their
    migrations, and the code their post_migrate handlers run: the role groups, the schools' files)
    and the installed packages' versions (the other apps' migrations)."""
    from importlib import metadata

    from django.apps import apps

    paths = set()
    for app in apps.get_app_configs():
        folder = Path(app.path).resolve()
        if folder.is_relative_to(ROOT):
            paths.update(folder.rglob("*.py"))
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(f"{path.relative_to(ROOT)}\n".encode())
        digest.update(path.read_bytes())
    for dist in sorted({f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions()}):
        digest.update(dist.encode())
    return digest.hexdigest()[:12]


def _template_prefix(base_test_name: str) -> str:
    return f"{base_test_name}_tpl"


def _template_name(base_test_name: str) -> str:
    return f"{_template_prefix(base_test_name)}_{code_fingerprint()}"


def _base_test_name(settings_dict: dict, worker: str | None) -> str:
    name = settings_dict["TEST"].get("NAME") or f"test_{settings_dict['NAME']}"
    suffix = f"_{worker}" if worker else ""
    return name[: -len(suffix)] if suffix and name.endswith(suffix) else name


def _quote(connection, name: str) -> str:
    return connection.ops.quote_name(name)


def _database_exists(connection, name: str) -> bool:
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def _drop(connection, name: str) -> None:
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {_quote(connection, name)} WITH (FORCE)")


@contextmanager
def _file_lock(name: str):
    path = Path(tempfile.gettempdir()) / f"{name}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def uses_template(config) -> bool:
    from django.db import connections

    return (
        connections["default"].vendor == "postgresql"
        and not config.getvalue("reuse_db")
        and not config.getvalue("nomigrations")
    )


def drop_templates(config, *, keep_current: bool) -> None:
    """In the controlling process: drop this database's test templates, but for the current one when
    `keep_current` (at the start: those of other migrations and half-built ones; at the end: none, or
    all with LMS_TEST_TEMPLATE=drop)."""
    from django.db import connections
    from pytest_django.plugin import blocking_manager_key

    if _worker_id(config) or not config.pluginmanager.hasplugin("xdist") or not uses_template(config):
        return
    connection = connections["default"]
    base = _base_test_name(connection.settings_dict, None)
    keep = {_template_name(base)} if keep_current else set()
    with config.stash[blocking_manager_key].unblock():
        with connection._nodb_cursor() as cursor:
            cursor.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [_template_prefix(base)]
            )
            names = [name for (name,) in cursor.fetchall()]
        for name in set(names) - keep:
            _drop(connection, name)
        connection.close()


def keeps_template() -> bool:
    return os.environ.get("LMS_TEST_TEMPLATE", "keep") != "drop"


def _build_template(request, connection, template: str) -> None:
    from django.db import connections
    from django.test.utils import setup_databases

    worker_name = connection.settings_dict["TEST"]["NAME"]
    build = f"{template}_build"
    connection.settings_dict["TEST"]["NAME"] = build
    verbosity = request.config.option.verbose
    old = setup_databases(
        verbosity=verbosity, interactive=False, aliases={"default"}, serialized_aliases=set()
    )
    connections.close_all()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"ALTER DATABASE {_quote(connection, build)} RENAME TO {_quote(connection, template)}")
    (_connection, old_name, _destroy) = old[0]
    connection.settings_dict["NAME"] = old_name
    connection.settings_dict["TEST"]["NAME"] = worker_name


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's fixture, with the template copy above for PostgreSQL test processes."""
    from django.conf import settings
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

    worker = _worker_id(request.config)
    # A test with serialized_rollback needs the contents serialized in its own process: none does today.
    serialized = _get_databases_for_setup(request.session.items)[1]
    if not worker or serialized or not uses_template(request.config):
        if not django_db_use_migrations:
            _disable_migrations()
        keep = {"keepdb": True} if django_db_keepdb and not django_db_createdb else {}
        aliases, serialized = _get_databases_for_setup(request.session.items)
        with django_db_blocker.unblock():
            config = setup_databases(
                verbosity=request.config.option.verbose,
                interactive=False,
                aliases=aliases,
                serialized_aliases=serialized,
                **keep,
            )
        yield
        if not django_db_keepdb:
            with django_db_blocker.unblock():
                teardown_databases(config, verbosity=request.config.option.verbose)
        return

    connection = connections["default"]
    worker_name = connection.settings_dict["TEST"].get("NAME") or f"test_{connection.settings_dict['NAME']}"
    connection.settings_dict["TEST"]["NAME"] = worker_name
    template = _template_name(_base_test_name(connection.settings_dict, worker))
    with django_db_blocker.unblock():
        with _file_lock(template):
            if not _database_exists(connection, template):
                _build_template(request, connection, template)
            _drop(connection, worker_name)
            copy, source = _quote(connection, worker_name), _quote(connection, template)
            with connection._nodb_cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {copy} TEMPLATE {source}")
        connection.close()
        original_name = connection.settings_dict["NAME"]
        connection.settings_dict["NAME"] = worker_name
        settings.DATABASES["default"]["NAME"] = worker_name
    yield
    with django_db_blocker.unblock():
        connections.close_all()
        connection.settings_dict["NAME"] = original_name
        settings.DATABASES["default"]["NAME"] = original_name
        _drop(connection, worker_name)


@contextmanager
def template_for_copying(config):
    """Yields a libpq URL of this run's migrated template database, held so that no test process
    copies it meanwhile (CREATE DATABASE ... TEMPLATE refuses a template someone is connected to);
    None where there is none (SQLite, one process): the caller migrates instead."""
    from django.db import connections

    worker = _worker_id(config)
    connection = connections["default"]
    if not worker or not uses_template(config):
        yield None
        return
    template = _template_name(_base_test_name(connection.settings_dict, worker))
    from pytest_django.plugin import blocking_manager_key

    with _file_lock(template):
        with config.stash[blocking_manager_key].unblock():
            exists = _database_exists(connection, template)
            connection.close()
        if not exists:
            yield None
            return
        db = connection.settings_dict
        host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
        yield f"postgres://{db['USER']}@{host}:{port}/{template}"


def install_fast_flush() -> None:
    """After each transactional test Django empties every table with one TRUNCATE of all of them
    (136 tables): PostgreSQL makes new files for each, 0.3–6 s a test depending on the machine's load.
    The tables of a test are nearly empty, so DELETE, with the foreign-key triggers off for the
    transaction (`session_replication_role`, a superuser's right, as the test role is here and in CI),
    does the same in a few milliseconds. Sequences reset, or a role that is not a superuser, keep
    Django's TRUNCATE."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences or not _superuser(self.connection):
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        delete = style.SQL_KEYWORD("DELETE FROM")
        return ["SET LOCAL session_replication_role = replica"] + [
            f"{delete} {style.SQL_FIELD(self.quote_name(table))}" for table in tables
        ]

    DatabaseOperations.sql_flush = sql_flush

    execute = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        # A live-server test's browser may still have a request writing when the test ends; its rows
        # and the DELETEs can then deadlock, and PostgreSQL cancels the flush (CI, a heartbeat in
        # tests/learning/test_heartbeat_player_busy.py). The flush is one transaction, rolled back
        # whole: try again once the other has finished.
        for attempt in range(3):
            try:
                return execute(self, sql_list)
            except OperationalError as error:
                if "deadlock detected" not in str(error) or attempt == 2:
                    raise
                time.sleep(0.5)

    DatabaseOperations.execute_sql_flush = execute_sql_flush


def _superuser(connection) -> bool:
    if not hasattr(connection, "_lms_superuser"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('is_superuser') = 'on'")
            connection._lms_superuser = cursor.fetchone()[0]
    return connection._lms_superuser

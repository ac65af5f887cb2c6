"""Private service processes for the fault tests: a PostgreSQL cluster, a Redis and a production-like
uvicorn that a test may kill and restart at will, never the shared servers other tests use.

- `PostgresCluster`: `initdb` into a temporary folder (trust login for `postgres`, fsync off: the
  tests kill the server, never the machine), the postmaster started directly so its pid is known
  (`kill()` is `kill -9` of the postmaster alone; its backends notice and exit by themselves).
- `RedisServer`: `redis-server` without persistence on a port of its own; `kill()` and `start()`.
- `AppServer`: uvicorn with 2 workers and production settings (as `bench/checkin_burst.py` runs it),
  in a process group of its own, stopped as a group whatever happens.
- `django_command`: runs `tests/faults/build.py` in a child process against the private database,
  with the same settings as the server (the test process keeps its own database).
"""

import contextlib
import fcntl
import glob
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
SECRET_KEY = "faults-only-secret-key-not-for-production-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's programs (Debian keeps them out of PATH)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3].split(".")[0])
    )
    return Path(found[-1]).parent if found else None


class PostgresCluster:
    """A cluster in `folder`: a new one, or a copy of the (stopped) cluster in `copy_of`."""

    def __init__(self, folder: Path, copy_of: Path | None = None):
        self.bin = postgres_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL's programs are not installed (/usr/lib/postgresql/*/bin)")
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        # PostgreSQL refuses to run as root: as root (containers, CI), run it as `postgres`.
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres"
            shutil.chown(folder, self.user)
        self.log = (folder / "postgres.log").open("ab")
        if copy_of is not None:
            subprocess.run(["cp", "-a", str(copy_of), str(self.data)], check=True)
            return
        subprocess.run(
            [
                self.bin / "initdb",
                "-D",
                self.data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "LC_ALL": "C.UTF-8", "TZ": "UTC"},
            user=self.user,
        )

    def restore(self, source_url: str, database: str) -> None:
        """Copy the database at `source_url` (schema and rows) into `database` of this cluster."""
        dump = subprocess.Popen(
            [self.bin / "pg_dump", "--no-owner", "--no-privileges", "-d", source_url], stdout=subprocess.PIPE
        )
        load = subprocess.run(
            [self.bin / "psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url(database)],
            stdin=dump.stdout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        dump.stdout.close()
        if dump.wait() != 0 or load.returncode != 0:
            raise RuntimeError(f"copying {source_url} failed: {load.stderr.decode(errors='replace')[-2000:]}")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{database}"

    def start(self, timeout: float = 120) -> None:
        """Start the postmaster and wait until it accepts queries. After a `kill()`, the old
        backends may still hold the shared memory for a moment: the start is retried until they
        are gone (PostgreSQL refuses to start next to them)."""
        deadline = time.monotonic() + timeout
        while True:
            self.process = subprocess.Popen(
                [
                    self.bin / "postgres",
                    "-D",
                    self.data,
                    "-p",
                    str(self.port),
                    "-k",
                    self.folder,
                    "-c",
                    f"listen_addresses={HOST}",
                    "-c",
                    "fsync=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=100",
                    "-c",
                    "shared_buffers=64MB",
                ],
                stdout=self.log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=self.user,
            )
            while self.process.poll() is None and time.monotonic() < deadline:
                if self._ready():
                    return
                time.sleep(0.1)
            if self.process.poll() is None or time.monotonic() >= deadline:
                self.stop()
                raise RuntimeError(f"PostgreSQL did not start (see {self.folder / 'postgres.log'})")
            time.sleep(0.2)  # it exited: the old backends still hold on, try again

    def _ready(self) -> bool:
        done = subprocess.run(
            [self.bin / "pg_isready", "-h", HOST, "-p", str(self.port), "-U", "postgres", "-t", "1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return done.returncode == 0

    def kill(self) -> None:
        """`kill -9` the postmaster, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """Fast shutdown (SIGINT), then SIGKILL of the whole group if it lingers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)

    def execute(self, *statements: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def remove(self) -> None:
        """Gone for good: no shutdown needed."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        self.log.close()
        if not os.environ.get("LMS_FAULTS_KEEP"):  # set it to look at the logs afterwards
            shutil.rmtree(self.folder, ignore_errors=True)


class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(100):
            if answers(self.port):
                return
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("redis-server did not answer")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def production_env(database_url: str, redis_url: str, port: int, static_root: Path) -> dict[str, str]:
    """The environment of the server and of the build commands: production settings, as deployed."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"PYTEST_XDIST_WORKER", "DJANGO_SETTINGS_MODULE", "CHANNEL_PREFIX", "CACHE_KEY_PREFIX"}
    }
    return env | {
        "DJANGO_SETTINGS_MODULE": "lms.settings",
        "DJANGO_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": HOST,
        "CSRF_TRUSTED_ORIGINS": f"http://{HOST}:{port}",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DB_POOL_SIZE": "8",
        "DB_POOL_TIMEOUT": "5",
        "STATIC_ROOT": str(static_root),
        "STATIC_COMPRESS": "0",  # no fault test reads the compressed copies: most of a minute saved
        "TASKS_BACKEND": "database",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def django_command(env: dict[str, str], *args: str, timeout: float = 600) -> dict:
    """`python -m tests.faults.build <args>` with `env`; what it printed last, as JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.faults.build", *args],
        cwd=ROOT,
        env={**env, "DB_POOL_SIZE": "0"},  # a command uses plain connections
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"build {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


class AppServer:
    """uvicorn, 2 workers, production settings, in a process group of its own."""

    def __init__(self, env: dict[str, str], port: int, log: Path):
        self.port = port
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/uvicorn"),
                "lms.asgi:application",
                "--host",
                HOST,
                "--port",
                str(port),
                "--workers",
                "2",
                "--lifespan",
                "off",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait_workers(self, timeout: float = 180) -> set[str]:
        """Until both workers answered /healthz/ (each fresh connection lands on either)."""
        workers: set[str] = set()
        deadline = time.monotonic() + timeout
        while len(workers) < 2:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn: {len(workers)} of 2 workers answered (see {self.log.name})")
            try:
                with urlopen(f"{self.base}/healthz/", timeout=2) as answer:
                    workers.add(answer.headers.get("X-Worker", ""))
            except OSError:
                time.sleep(0.2)
        return workers

    def stop(self) -> None:
        if self.process.poll() is None:
            for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # no worker outlives the master
        self.log.close()


# --- A migrated cluster, made once and copied by each test -------------------------------------------

CACHE = Path(os.environ.get("LMS_FAULTS_CACHE", "/tmp/lms-faults-cache"))


def _fingerprint() -> str:
    """What the migrated database and the collected static files depend on: the code and packages
    (`code_fingerprint`, as for the test template) and the static files of the project's apps."""
    from tests.db_template import code_fingerprint

    digest = hashlib.sha256(code_fingerprint().encode())
    for top in ("lms", "courses"):
        for path in sorted((ROOT / top).rglob("*")):
            if "static" in path.relative_to(ROOT).parts and path.is_file():
                stat = path.stat()
                digest.update(f"{path.relative_to(ROOT)} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def migrated_template(source_url: str | None = None) -> tuple[Path, Path]:
    """(a stopped cluster's data folder with the database `lms` migrated, collected static files),
    made on first use and kept in CACHE under a fingerprint of what they depend on, so that later runs
    (and the other test process) copy them instead of migrating again (~20–40 s). With `source_url`,
    an already migrated database (the test run's template, tests/db_template.py), the database is
    copied from it with pg_dump instead of migrated: a few seconds instead of a minute in CI."""
    folder = CACHE / _fingerprint()
    data, static = folder / "cluster" / "data", folder / "static"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process builds it, the others wait for it
        if (folder / "ready").exists():
            return data, static
        for old in CACHE.iterdir():  # templates of other migrations or packages: not needed again
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
        (folder / "cluster").mkdir(parents=True)
        cluster = PostgresCluster(folder / "cluster")
        try:
            cluster.start()
            cluster.execute("CREATE DATABASE lms")
            env = production_env(cluster.url("lms"), "", 0, static)
            if source_url:
                cluster.restore(source_url, "lms")
                django_command(env, "static", timeout=600)
            else:  # minutes on a machine busy with the rest of the suite
                django_command(env, "migrate", timeout=1200)
        finally:
            cluster.stop()
            cluster.log.close()
        (folder / "ready").touch()
        return data, static

"""A private stack per test: a PostgreSQL cluster copied from a migrated template, a Redis, and
uvicorn with 2 workers and production settings, all started by the test and stopped after it
(tests/faults/services.py). The shared PostgreSQL and Redis are never touched."""

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.db_template import template_for_copying
from tests.faults import services
from tests.services import need


@dataclass
class Stack:
    cluster: services.PostgresCluster
    redis: services.RedisServer
    server: services.AppServer
    env: dict[str, str]
    session: int = 0  # the live lecture under way
    teacher: str = ""  # the teacher's session cookie
    people: list[dict] = field(default_factory=list)  # member, user, token, cookie
    workers: set[str] = field(default_factory=set)  # the server's worker pids when it started

    def build(self, *args: str) -> dict:
        return services.django_command(self.env, *args)


@pytest.fixture(scope="session")
def migrated(request):
    need(services.postgres_bin() is not None, "PostgreSQL's programs are not installed")
    need(shutil.which("redis-server") is not None, "redis-server is not installed")
    with template_for_copying(request.config) as source_url:
        return services.migrated_template(source_url)


def start_stack(migrated, members: int):
    """Yields a Stack whose class has `members` enrolled; stops everything afterwards."""
    data, static = migrated
    folder = Path(tempfile.mkdtemp(prefix="lms-faults-"))
    cluster = services.PostgresCluster(folder, copy_of=data)
    redis = services.RedisServer()
    server = None
    try:
        cluster.start()
        redis.start()
        port = services.free_port()
        env = services.production_env(cluster.url("lms"), redis.url, port, static)
        server = services.AppServer(env, port, folder / "uvicorn.log")  # starts while the class is built
        stack = Stack(cluster, redis, server, env)
        built = stack.build("class", str(members))
        stack.session, stack.teacher, stack.people = built["session"], built["teacher"], built["people"]
        stack.workers = server.wait_workers()
        yield stack
    finally:
        if server is not None:
            server.stop()
        redis.kill()
        cluster.remove()

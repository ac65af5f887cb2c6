"""Django's Redis cache, with pages working on while Redis is down.

Wagtail reads its site root paths from the cache on every page that links to a page, and sessions
(`cached_db`) write their copy back after reading the database, so with Redis stopped every page
of a logged-in member (and every websocket handshake) answered 500. Django's own Redis backend
raises on any failure (it has no setting to ignore them), so this one treats a failed read as a
miss and a failed write as not written, logged (once a minute at most, not once per page).
Counters (`incr`, `decr`) still raise: a limit that silently stopped counting would let everything
through. Cache calls time out after the seconds in OPTIONS (lms/settings.py), so a stuck Redis
costs a page that long, not forever.

Its connection pools are the process's, not the cache object's. Django makes a cache object per
thread and context, and under ASGI every request runs in a thread of its own, so with Django's client
every request opened a new TCP connection to Redis (and asked the installed packages for redis-py's
version to introduce itself): a fifth of the CPU of a logged-in page that only reads its session.
redis-py's pools are thread-safe and reconnect after a fork or a Redis restart. The `Redis` client
objects over them are kept too: Django built one for every cache call (a dict of ~160 response
callbacks each time, a tenth of a millisecond), and a client holds no state of its own between
commands (it takes a connection from its pool for each).
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
LOG_EVERY_SECONDS = 60
FAILURES = (RedisError, OSError)


class SharedPoolClient(RedisCacheClient):
    """Django's Redis client with pools shared by every client of the process with the same servers
    and options."""

    pools: dict[str, dict] = {}
    clients: dict[str, dict] = {}
    lock = threading.Lock()

    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        key = repr((servers, sorted(options.items(), key=lambda item: item[0])))
        with self.lock:
            self._pools = self.pools.setdefault(key, {})
            self._clients = self.clients.setdefault(key, {})

    def _get_connection_pool(self, write):
        index = self._get_connection_pool_index(write)
        if index not in self._pools:
            with self.lock:
                if index not in self._pools:
                    self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
        return self._pools[index]

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            with self.lock:
                client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class TolerantRedisCache(RedisCache):
    last_logged = 0.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedPoolClient

    def _failed(self, action: str) -> None:
        now = time.monotonic()
        if now - TolerantRedisCache.last_logged >= LOG_EVERY_SECONDS:
            TolerantRedisCache.last_logged = now
            logger.warning("Redis cache unreachable (%s); pages go on without it", action, exc_info=True)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except FAILURES:
            self._failed("get")
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except FAILURES:
            self._failed("get_many")
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except FAILURES:
            self._failed("has_key")
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except FAILURES:  # not added: a lock taken with add() is refused, not granted
            self._failed("add")
            return False

    def set(self, *args, **kwargs):
        try:
            super().set(*args, **kwargs)
        except FAILURES:
            self._failed("set")

    def set_many(self, data, *args, **kwargs):
        try:
            return super().set_many(data, *args, **kwargs)
        except FAILURES:
            self._failed("set_many")
            return list(data)

    def touch(self, *args, **kwargs):
        try:
            return super().touch(*args, **kwargs)
        except FAILURES:
            self._failed("touch")
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except FAILURES:  # a logout's copy of the session stays there until Redis restarts empty
            self._failed("delete")
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except FAILURES:
            self._failed("delete_many")

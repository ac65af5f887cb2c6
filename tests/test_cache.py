"""The Redis cache's connections are the process's: Django makes a cache object per thread, and
under ASGI every request has a thread of its own."""

import threading

from django.conf import settings
from django.core.cache import caches

from lms.cache import TolerantRedisCache
from tests.services import need_redis


def connection_seen_by_a_new_thread() -> int:
    """The Redis connection id a request's thread gets for a cache read (each new thread makes its
    own cache object, as Django's handler does per request)."""
    seen = []

    def request():
        cache = caches["default"]
        cache.get("lms-test-shared-pool")
        seen.append(cache._cache.get_client().client_id())

    thread = threading.Thread(target=request)
    thread.start()
    thread.join()
    return seen[0]


def test_requests_in_new_threads_reuse_one_redis_connection():
    need_redis()
    ids = {connection_seen_by_a_new_thread() for _ in range(20)}
    # One after the other, each request finds the connection the one before gave back to the pool
    # (with a pool per cache object, each of the 20 would have connected anew).
    assert len(ids) == 1, ids


def test_requests_in_new_threads_share_one_redis_client():
    """Django built a redis-py client (~160 response callbacks) for every cache call; one per pool now."""
    need_redis()
    clients = []

    def request():
        cache = caches["default"]
        clients.append((cache, cache._cache.get_client(), cache._cache.get_client(write=True)))

    for _ in range(2):
        thread = threading.Thread(target=request)
        thread.start()
        thread.join()
    (first, *first_clients), (second, *second_clients) = clients
    assert first is not second  # each thread made its own cache object, as Django does
    assert len({id(client) for client in first_clients + second_clients}) == 1


def test_other_redis_servers_get_their_own_client():
    need_redis()
    here = TolerantRedisCache(settings.REDIS_URL, {})
    server, _slash, database = settings.REDIS_URL.rpartition("/")
    other = (int(database or 0) + 1) % 16  # whichever database the run uses, another one
    elsewhere = TolerantRedisCache(f"{server}/{other}", {})
    assert here._cache.get_client() is not elsewhere._cache.get_client()
    assert elsewhere._cache.get_client().connection_pool.connection_kwargs["db"] == other


def test_concurrent_requests_each_get_a_connection_and_all_are_answered():
    need_redis()
    cache = caches["default"]
    cache.set("lms-test-shared-pool-value", "ok", 30)
    answers, errors = [], []
    start = threading.Barrier(12)

    def request():
        try:
            start.wait(timeout=5)
            answers.append(caches["default"].get("lms-test-shared-pool-value"))
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=request) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert answers == ["ok"] * 12

"""The database work of many connections in one trip to the database thread.

Channels runs every `database_sync_to_async` call of a process in one thread, and each call is two
hand-overs between it and the event loop (each waiting for the other to let go of the GIL). When
500 phones enter at once, those hand-overs, not the queries, were most of the time. Calls made
through `run` while a trip is under way wait for the next trip and go together (up to BATCH_LIMIT),
each with its own result or exception: one person's refusal is not another's.
"""

import asyncio
import threading

from channels.db import database_sync_to_async

BATCH_LIMIT = 50


class _Batcher:
    def __init__(self):
        self.waiting: list[tuple] = []
        self.task: asyncio.Task | None = None

    def submit(self, function, kwargs) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((function, kwargs, future))
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._drain())
        return future

    async def _drain(self):
        while self.waiting:
            batch, self.waiting = self.waiting[:BATCH_LIMIT], self.waiting[BATCH_LIMIT:]
            try:
                outcomes = await database_sync_to_async(_run_all)(batch)
            except BaseException as error:  # the trip itself failed (or was cancelled): tell everyone
                for _function, _kwargs, future in batch:
                    if not future.done():
                        future.set_exception(error if isinstance(error, Exception) else RuntimeError(error))
                raise
            for (_function, _kwargs, future), (value, error) in zip(batch, outcomes, strict=True):
                if future.done():  # its connection went meanwhile
                    continue
                if error is None:
                    future.set_result(value)
                else:
                    future.set_exception(error)


_trip = threading.local()


def trip_memo(key, compute):
    """`compute()` once per trip for everyone in it who asks with the same `key` (the room's state for
    the members entering together: read after all of them joined the room's group, so it is as fresh
    for each as a read of their own). Outside a trip it simply computes."""
    memo = getattr(_trip, "memo", None)
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _run_all(batch) -> list[tuple]:
    outcomes = []
    _trip.memo = {}
    try:
        for function, kwargs, _future in batch:
            try:
                outcomes.append((function(**kwargs), None))
            except Exception as error:  # handed to its caller, as if it had run alone
                outcomes.append((None, error))
    finally:
        _trip.memo = None
    return outcomes


_batchers: dict[asyncio.AbstractEventLoop, _Batcher] = {}


async def run(function, **kwargs):
    """`function(**kwargs)` in the database thread, with whatever else is waiting."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        for old in [other for other in _batchers if other.is_closed()]:
            del _batchers[old]
        batcher = _batchers[loop] = _Batcher()
    return await batcher.submit(function, kwargs)

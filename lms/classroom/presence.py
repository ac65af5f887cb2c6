"""Presence written in batches: each server process keeps its connections' joins, leaves, away
periods and pings in memory and writes them every FLUSH_SECONDS in a few statements (one INSERT
of the new intervals, one UPDATE of those that ended, one UPDATE of the last signs of life).

500 phones entering a room at once used to cost a transaction with two UPDATEs and an INSERT each,
and every ping another UPDATE. Now a connect costs nothing here and a second's worth of them is one
INSERT. Times are taken when things happen, not when they are written, so the minutes credited are
the same (tests/classroom/test_presence_batching.py). After each write the process tells the
moderators of each room whose participants changed, once per person and second (coalesced).

Anything that reads presence back calls `flush()` first (ending the class, removing someone,
admitting a video viewer). A process that dies loses at most its last second of changes; its
open intervals stop counting PRESENCE_STALE_SECONDS after their last ping, as before.
"""

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

from channels.db import database_sync_to_async
from django.db.models import Case, F, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from lms.classroom.models import PresenceInterval, PresenceState

logger = logging.getLogger(__name__)
FLUSH_SECONDS = 1.0


@dataclass
class _Batch:
    new: list[PresenceInterval] = field(default_factory=list)
    closed: list[tuple[PresenceInterval, datetime]] = field(default_factory=list)
    seen: dict[str, tuple[PresenceInterval, datetime]] = field(default_factory=dict)
    changed: dict[int, set[int]] = field(default_factory=dict)  # stage id → user ids

    def __bool__(self):
        return bool(self.new or self.closed or self.seen or self.changed)


class PresenceBuffer:
    """One event loop's (one process's) pending presence. Only the loop's thread changes it; a
    flush takes the pending batch away first, so the database thread never sees it change."""

    def __init__(self, loop: asyncio.AbstractEventLoop, announce):
        self.loop = loop
        self.announce = announce  # async (stage id, user ids) → tell that room's moderators
        self.pending = _Batch()
        self.open: dict[str, PresenceInterval] = {}  # connection → its interval now
        self.lock = asyncio.Lock()
        self.task: asyncio.Task | None = None

    def record(
        self, *, room_id: int, stage_id: int, user_id: int, connection: str, role: str, state: str | None
    ) -> None:
        """The connection is in the room, away, or gone (None) from now on."""
        now = timezone.now()
        current = self.open.pop(connection, None)
        if current is not None:
            self._close(current, now)
        if state is not None:
            interval = PresenceInterval(
                room_id=room_id,
                user_id=user_id,
                connection=connection,
                role=role,
                state=PresenceState(state),
                started_at=now,
                seen_at=now,
            )
            interval._batch = self.pending  # written by the next flush, which takes this batch
            self.pending.new.append(interval)
            self.open[connection] = interval
        self.pending.changed.setdefault(stage_id, set()).add(user_id)
        self._wake()

    def seen(self, connection: str) -> None:
        """The connection pinged: it is alive."""
        interval = self.open.get(connection)
        if interval is None:
            return
        now = timezone.now()
        if self._queued(interval):
            interval.seen_at = now
        else:
            self.pending.seen[connection] = (interval, now)
        self._wake()

    def _close(self, interval: PresenceInterval, now: datetime) -> None:
        if self._queued(interval):  # not handed to a flush yet: it is written closed
            interval.ended_at = max(now, interval.started_at)
        else:
            self.pending.closed.append((interval, now))
            self.pending.seen.pop(interval.connection, None)

    def _queued(self, interval: PresenceInterval) -> bool:
        return getattr(interval, "_batch", None) is self.pending

    def _wake(self) -> None:
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._run())

    async def _run(self):
        """Write every FLUSH_SECONDS while there is anything to write."""
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            if not self.pending:
                if not self.open:
                    return
                continue
            try:
                await self.flush()
            except Exception:  # the database was away: the next round tries again with what is new
                logger.exception("Presence not written")

    async def flush(self) -> None:
        """Write what is pending now (callers that read presence back call this first)."""
        async with self.lock:
            batch, self.pending = self.pending, _Batch()
            if not batch:
                return
            try:
                await database_sync_to_async(_write)(batch)
            except Exception:
                self._restore(batch)
                raise
        for stage_id, user_ids in batch.changed.items():
            await self.announce(stage_id, user_ids)

    def _restore(self, batch: _Batch) -> None:
        """A failed write: put it back in front of what came since, to be tried again."""
        later, self.pending = self.pending, batch
        self.pending.new = [interval for interval in batch.new if interval.pk is None] + later.new
        for interval in self.pending.new:
            interval._batch = self.pending
        self.pending.closed += later.closed
        self.pending.seen.update(later.seen)
        for stage_id, user_ids in later.changed.items():
            self.pending.changed.setdefault(stage_id, set()).update(user_ids)


def _write(batch: _Batch) -> None:
    """The batch in at most three statements. Intervals that are already closed (the class ended
    meanwhile, closing every open one) keep their end."""
    if batch.new:
        PresenceInterval.objects.bulk_create(batch.new)
    closed = [(interval.pk, at) for interval, at in batch.closed if interval.pk is not None]
    if closed:
        ends = Case(*(When(pk=pk, then=Value(at)) for pk, at in closed))
        PresenceInterval.objects.filter(pk__in=[pk for pk, _at in closed], ended_at__isnull=True).update(
            ended_at=Greatest(F("started_at"), ends)
        )
    seen = [(interval.pk, at) for interval, at in batch.seen.values() if interval.pk is not None]
    if seen:
        times = Case(*(When(pk=pk, then=Value(at)) for pk, at in seen))
        PresenceInterval.objects.filter(pk__in=[pk for pk, _at in seen], ended_at__isnull=True).update(
            seen_at=times
        )


_buffers: dict[asyncio.AbstractEventLoop, PresenceBuffer] = {}


def buffer(announce) -> PresenceBuffer:
    """This event loop's buffer (tests run each in a loop of their own)."""
    loop = asyncio.get_running_loop()
    found = _buffers.get(loop)
    if found is None:
        for old in [other for other in _buffers if other.is_closed()]:
            del _buffers[old]
        found = _buffers[loop] = PresenceBuffer(loop, announce)
    return found

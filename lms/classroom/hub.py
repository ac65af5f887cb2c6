"""One process's fan-out of a live room's events to the connections it holds.

Each connection used to be a member of the room's channel-layer group itself, so one chat line in
a room of 500 became 500 channel messages, each unpacked and dispatched by its consumer through
the layer's receive machinery and encoded to JSON again. Now each process joins the room's group
once, with a channel of its own, receives each event once, encodes it once and hands the same text
to every local connection of the room. Each connection writes from its own outbox (`Outbox`), so a
phone that stops reading holds up nobody else, and nothing is written after it closed.

Rooms in other processes (several uvicorn workers sharing Redis) get the event through the group as
before: the group's members are the processes' inboxes instead of every connection. Every event
says its room (`"room": <stage id>`), since one inbox serves all the rooms of a process; events from
outside a consumer (the sweep's `room.ended`) are sent to the same group the same way.
"""

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)
OUTBOX_LIMIT = 1000  # a connection this far behind stops reading: older lines are dropped


def room_group(room_id: int) -> str:
    return f"classroom.room.{int(room_id)}"


def encode(name: str, data: dict) -> str:
    return json.dumps({"type": name, **data}, ensure_ascii=False)


class Outbox:
    """A connection's queue of frames, written in order by one task of its own."""

    def __init__(self, send_text, handle_event):
        self.send_text = send_text  # async (text) → write one frame
        self.handle_event = handle_event  # async (event) → a control event (the end, a removal)
        self.queue: asyncio.Queue = asyncio.Queue()
        self.skip_chat: set[int] = set()  # chat ids the welcome already carried
        self.task: asyncio.Task | None = None
        self.stopped = False
        self.dropped = 0

    def put(self, item) -> None:
        if self.queue.qsize() >= OUTBOX_LIMIT:
            self.queue.get_nowait()
            self.dropped += 1
            if self.dropped == 1:
                logger.warning("A live-room connection stopped reading; dropping its oldest messages")
        self.queue.put_nowait(item)

    def start(self) -> None:
        """After the welcome: what arrived meanwhile goes first, in order."""
        self.task = asyncio.get_running_loop().create_task(self._pump())

    async def _pump(self):
        while not self.stopped:
            kind, payload, chat_id = await self.queue.get()
            if chat_id is not None and chat_id in self.skip_chat:
                continue
            try:
                if kind == "text":
                    await self.send_text(payload)
                else:
                    await self.handle_event(payload)  # the end or a removal: may stop this outbox
            except Exception:  # one odd event must not silence the connection
                logger.exception("A live-room connection could not take an event")

    def stop(self) -> None:
        """No more frames: the connection left (from its own task, or from this one's handler)."""
        self.stopped = True
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()


@dataclass
class _Room:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    connections: dict = field(default_factory=dict)  # consumer → its Outbox
    joined: bool = False  # the process's inbox is in the room's group


class Hub:
    """One event loop's rooms, the local connections in each, and the process's one inbox.

    Only the hub reads from the channel layer. Connections get their peer messages (video
    signalling) from it too, addressed `<inbox>|<peer>`, so a connection that closes never cancels
    a read of the layer (channels_redis can lose the message being read when a read is cancelled,
    and one inbox serves every connection of the process)."""

    def __init__(self, layer):
        self.layer = layer
        self.rooms: dict[int, _Room] = {}
        self.peers: dict[str, asyncio.Queue] = {}  # a connection's address → its queue
        self.inbox = ""
        self.listener: asyncio.Task | None = None

    async def connect(self) -> tuple[str, asyncio.Queue]:
        """A new connection's address and the queue of its peer messages."""
        if not self.inbox:
            self.inbox = await self.layer.new_channel()
        address, queue = f"{self.inbox}|{uuid.uuid4().hex[:12]}", asyncio.Queue()
        self.peers[address] = queue
        if self.listener is None or self.listener.done():
            self.listener = asyncio.get_running_loop().create_task(self._listen())
        return address, queue

    def disconnect(self, address: str) -> None:
        self.peers.pop(address, None)
        if not self.peers and self.listener is not None:  # nobody left here to read for
            self.listener.cancel()
            self.listener = None

    async def send_to(self, address: str, data: dict) -> None:
        """A message to one connection, wherever it is (its process's inbox, then its queue)."""
        inbox, _bar, peer = address.partition("|")
        if inbox and peer:
            await self.layer.send(inbox, {"type": "peer.message", "to": address, "data": data})

    async def join(self, room_id: int, consumer, outbox: Outbox) -> None:
        room = self.rooms.setdefault(room_id, _Room())
        async with room.lock:  # joins and leaves of one room take turns with the group
            if not room.joined:
                await self.layer.group_add(room_group(room_id), self.inbox)
                room.joined = True
            room.connections[consumer] = outbox

    async def leave(self, room_id: int, consumer) -> None:
        room = self.rooms.get(room_id)
        if room is None:
            return
        async with room.lock:
            outbox = room.connections.pop(consumer, None)
            if outbox is not None:
                outbox.stop()
            if room.connections or not room.joined:
                return
            room.joined = False
            with contextlib.suppress(Exception):  # Redis gone: the membership expires by itself
                await self.layer.group_discard(room_group(room_id), self.inbox)

    async def _listen(self):
        while True:
            try:
                event = await self.layer.receive(self.inbox)
            except Exception:  # the layer is gone (Redis restarted): its groups and inboxes with it
                logger.warning("Live rooms: the channel layer failed; connections are closed to come back")
                self._lost()
                return
            try:
                if event.get("type") == "peer.message":
                    queue = self.peers.get(event.get("to", ""))
                    if queue is not None:
                        queue.put_nowait(event)
                    continue
                room = self.rooms.get(event.get("room"))
                if room is not None:
                    self.dispatch(room, event)
            except Exception:
                logger.exception("Live room %s: event %s not delivered", event.get("room"), event.get("type"))

    def _lost(self) -> None:
        """Every local connection closes (its page reconnects with back-off and catches up from its
        welcome); the next ones join the rooms' groups afresh."""
        rooms, self.rooms = self.rooms, {}
        self.listener = None
        for room in rooms.values():
            for _consumer, outbox in room.connections.items():
                outbox.put(("event", {"type": "layer.lost"}, None))

    @staticmethod
    def dispatch(room: _Room, event: dict) -> None:
        """Encode once, queue for each local connection (no waiting: slow ones fall behind alone)."""
        kind = event.get("type")
        targets = room.connections.items()
        if kind == "room.event":
            text = encode(event["event"], event["data"])
            chat_id = event["data"].get("id") if event["event"] == "chat.message" else None
            moderators_only = event.get("audience") == "moderators"
            for consumer, outbox in targets:
                if not moderators_only or consumer.moderator:
                    outbox.put(("text", text, chat_id))
        elif kind == "room.participants":  # coalesced: one frame per person, to moderators only
            texts = [encode("participant", change) for change in event["changes"]]
            for consumer, outbox in targets:
                if consumer.moderator:
                    for text in texts:
                        outbox.put(("text", text, None))
        else:  # room.ended, room.remove: each connection acts on it
            for _consumer, outbox in targets:
                outbox.put(("event", event, None))


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub_for(layer) -> Hub:
    """This event loop's hub (tests run each in a loop and with a layer of their own)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None or found.layer is not layer:
        for old in [other for other in _hubs if other.is_closed()]:
            del _hubs[old]
        found = _hubs[loop] = Hub(layer)
    return found

"""The city → township cascade: which Janus instance serves which live room, and the relay of the
city's stream into the townships' instances.

The city's big room (the stage) is always on the default instance (JANUS_URL). A township's
sub-classroom (`LiveRoom.parent` set) is served by the instance of JANUS_INSTANCES whose
`townships` lists its class's school (the township school page's id or slug), else by the default
one too. Its screens, members and staff then load that instance's server: `welcome` gives them its
public URL and tokens signed with its own secrets (janus.py), so the city's Janus serves one stream
per township instead of one per township screen.

A township instance holds a room with the stage's id, in which the city's publisher appears as a
VideoRoom *remote publisher* with the same feed id (Janus 1.1's `add_remote_publisher` there, then
`publish_remotely` on the city's instance, which relays the publisher's RTP to it). `sync` makes a
township room match the city room: the one publisher sending in the city room (publishers_kick
keeps it to the one Django announced) is relayed there, any other remote publisher removed. It
reads only Janus (no database), is idempotent, and runs in a background thread when the publisher
starts, stops or switches and when a township room is created; `follow` retries it until the
publisher's streams reach the city's Janus (the browser negotiates after it is announced). The
class's end destroys the room on every instance (janus.room_close).
"""

import contextlib
import logging
import threading
import time

from django.core.cache import cache
from django.db import connection

from lms.classroom import janus
from lms.classroom.models import LiveRoom

logger = logging.getLogger(__name__)

PROBE = "lms-probe"  # the display name of Django's own short visits to a room (janus.publisher_streams)
FOLLOW_SECONDS = 45  # how long a relay waits for the city's publisher to send
FOLLOW_STEP_SECONDS = 0.5
SCHOOL_CACHE_SECONDS = 300

_locks: dict[tuple[str, int], threading.Lock] = {}
# (instance, room) → (feed, where its remote publisher listens) of the relays this process made
_relays: dict[tuple[str, int], tuple[int, dict]] = {}
_locks_guard = threading.Lock()


def township_instances() -> list[janus.Instance]:
    """The instances that serve townships (none unless JANUS_INSTANCES names their townships)."""
    if not janus.enabled():
        return []
    return [each for each in janus.instances().values() if each.townships and each.name != janus.DEFAULT]


def _school_of(room: LiveRoom) -> tuple[int, str] | None:
    """The sub-classroom's township school (page id, slug), cached: rooms keep their sessions."""
    key = f"classroom:cascade:school:{room.pk}"
    found = cache.get(key)
    if found is None:
        found = (
            LiveRoom.objects.filter(pk=room.pk)
            .values_list("session__training_class__school_id", "session__training_class__school__slug")
            .first()
        )
        if found is None:
            return None
        cache.set(key, list(found), SCHOOL_CACHE_SECONDS)
    return found[0], found[1]


def instance_for_room(room: LiveRoom) -> janus.Instance:
    """The instance whose server this room's participants load: a township's own one for its
    sub-classroom when configured, else the stage's (default)."""
    default = janus.instance_for(room.stage.pk)
    if not room.parent_id:
        return default
    serving = township_instances()
    if not serving:
        return default
    school = _school_of(room)
    if school is None:
        return default
    names = {str(school[0]), school[1]}
    return next((each for each in serving if names & set(each.townships)), default)


def instances_below(stage: LiveRoom) -> list[janus.Instance]:
    """The township instances serving this stage's sub-classrooms (one query, only when configured)."""
    serving = township_instances()
    if not serving:
        return []
    found = {}
    for room in LiveRoom.objects.filter(parent=stage).only("pk", "parent"):
        room.parent = stage
        instance = instance_for_room(room)
        if instance.name != janus.DEFAULT:
            found[instance.name] = instance
    return list(found.values())


# --- The relay -----------------------------------------------------------------------------------


def remote_id(instance: janus.Instance) -> str:
    return f"lms-{instance.name}"


ANY = -1  # `sync`'s feed: whoever sends in the city's room


def city_publishers(room_id: int) -> list[int]:
    """The feeds sending in the stage's room on the city's instance now."""
    city = janus.Client(janus.instance_for(room_id))
    return [
        each["id"]
        for each in city.participants(room_id)
        if each.get("publisher") and each.get("display") != PROBE
    ]


def sync(room_id: int, instance: janus.Instance, feed: int | None = ANY) -> bool:
    """Make the township instance's room follow the city's: the city's publisher (`feed`, the one
    Django announced; None: no one; ANY: whoever sends now) relayed there, and no one else. Returns
    whether it is done (False: that publisher does not send to the city's Janus yet)."""
    key = (instance.name, room_id)
    with _locks_guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        city = janus.Client(janus.instance_for(room_id))
        township = janus.Client(instance)
        janus.room_ensure(room_id, description=f"live room {room_id} (relayed)", instance=instance)
        sending = city_publishers(room_id)
        if feed == ANY:
            feed = sending[0] if sending else None
        elif feed is not None and feed not in sending:
            return False
        present = {each["id"] for each in township.participants(room_id) if each.get("publisher")}
        for other in present - {feed}:
            # The previous publisher's relay, or someone who joined the township's room as a
            # publisher with a participant's tokens.
            if not township.remote_publisher_remove(room_id, other):
                township.publishers_kick(room_id, keep=feed or 0)
        if feed is None:
            _relays.pop(key, None)
            return True
        known = _relays.get(key)
        if feed in present and known and known[0] == feed:
            # Its remote publisher is there: the city's Janus relays to it (again, if the publisher
            # joined again and its relays went with its old handle; Janus refuses a relay it has).
            with contextlib.suppress(janus.JanusError):
                _relay(city, room_id, feed, instance, known[1])
            return True
        streams = city.publisher_streams(room_id, feed)
        if not streams:
            return False
        if feed in present:  # announced by another process: this one does not know its ports
            township.remote_publisher_remove(room_id, feed)
        with contextlib.suppress(janus.JanusError):  # a relay of the same name goes first
            city.unpublish_remotely(room_id, feed, remote_id(instance))
        target = township.remote_publisher_add(room_id, feed, streams, display=str(feed))
        _relay(city, room_id, feed, instance, target)
        _relays[key] = (feed, target)
        logger.info("Janus room %s: feed %s relayed to %s", room_id, feed, instance.name)
        return True


def _relay(city: janus.Client, room_id: int, feed: int, instance: janus.Instance, target: dict) -> None:
    city.publish_remotely(
        room_id,
        feed,
        remote_id(instance),
        host=target.get("ip") or instance.forward_host,
        port=target["port"],
        rtcp_port=target.get("rtcp_port"),
    )


def follow(
    room_id: int, targets: list[janus.Instance], feed: int | None = ANY, seconds: float = FOLLOW_SECONDS
) -> bool:
    """`sync` each township instance until it is done or `seconds` pass; failures are logged."""
    deadline = time.monotonic() + seconds
    pending = list(targets)
    while pending:
        still = []
        for instance in pending:
            try:
                if not sync(room_id, instance, feed):
                    still.append(instance)
            except janus.JanusError:
                logger.exception("Janus room %s: relay to %s failed", room_id, instance.name)
                still.append(instance)
        pending = still
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(FOLLOW_STEP_SECONDS)
    return not pending


def follow_later(
    room_id: int, targets: list[janus.Instance], feed: int | None = ANY
) -> threading.Thread | None:
    """`follow` in a background thread (it waits for Janus, never for the database)."""
    if not targets:
        return None
    thread = threading.Thread(
        target=follow, args=(room_id, targets, feed), name=f"janus-relay-{room_id}", daemon=True
    )
    thread.start()
    return thread


def close_thread_connection() -> None:
    """A worker thread that read the database lets its connection go."""
    if not connection.in_atomic_block:
        connection.close()

"""Video in a live room: who sends it, who receives it, and the ICE servers browsers use.

The classroom protocol (consumers.py) is the same whatever carries the media. The publisher
announces itself (`media.publish`), each viewer asks for the stream (`media.request`), and the two
ends exchange SDP offers and answers (`media.signal`) addressed by connection. In mesh mode (the
embedded default) the viewer's other end is the publisher's browser, which uploads one stream per
viewer, so a room admits at most CLASSROOM_MESH_VIEWERS viewers. With a media server (Janus,
JANUS_URL set) the publisher sends once to Janus and every viewer receives from Janus: `welcome`
carries `media` (the mode; for Janus its URL, the room and the participant's tokens, see janus.py),
the publisher's payload its Janus feed id, and `media.request`/`media.signal` are not used.

All media state lives on the stage room (the big classroom), which sub-classrooms share. A township
sub-classroom may load its video from its township's own Janus instance, which receives the city's
stream (cascade.py): `welcome` then names that instance's server and tokens."""

import base64
import hashlib
import hmac
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.classroom import batching, cascade, janus
from lms.classroom.models import LiveRoom, MediaMode, MediaViewer, PresenceInterval
from lms.classroom.services import PRESENCE_STALE_SECONDS
from lms.scheduling.models import Session

SOURCES = ("camera", "screen")
PUBLISHERS = ("teacher", "staff")
VIEWER_GRACE_SECONDS = 10


class VideoFull(PermissionDenied):
    """The mesh viewer limit is reached."""


def ice_servers(user) -> list[dict]:
    """STUN, and TURN with credentials for coturn's shared-secret mode: the username is the expiry
    time and the user, the password its HMAC-SHA1 under the secret, so nothing is stored."""
    servers = []
    if settings.CLASSROOM_STUN_URLS:
        servers.append({"urls": list(settings.CLASSROOM_STUN_URLS)})
    if settings.CLASSROOM_TURN_URLS and settings.CLASSROOM_TURN_SECRET:
        expiry = int(time.time()) + settings.CLASSROOM_TURN_TTL_HOURS * 3600
        username = f"{expiry}:{user.pk}"
        digest = hmac.new(settings.CLASSROOM_TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
        servers.append(
            {
                "urls": list(settings.CLASSROOM_TURN_URLS),
                "username": username,
                "credential": base64.b64encode(digest).decode(),
            }
        )
    return servers


def _live_connections(stage: LiveRoom):
    """Connections to the stage or its sub-classrooms that are open and have pinged lately (a
    server that crashed leaves its connections open in the database, but silent)."""
    alive = timezone.now() - timedelta(seconds=PRESENCE_STALE_SECONDS)
    return PresenceInterval.objects.filter(
        room__in=[stage.pk, *stage.sub_rooms.values_list("pk", flat=True)],
        ended_at__isnull=True,
        seen_at__gte=alive,
    ).values("connection")


def _connected(stage: LiveRoom, connection: str) -> bool:
    return _live_connections(stage).filter(connection=connection).exists()


@transaction.atomic
def publish(*, stage: LiveRoom, user, role: str, connection: str, source: str) -> bool:
    """This connection sends video from now on (camera or screen). Another person's live broadcast
    is not taken over; the same person moving to another device or tab is. Returns whether the
    publishing connection changed (viewers then ask the new one)."""
    if source not in SOURCES:
        raise ValidationError(_("Video comes from the “camera” or the “screen”."))
    stage = LiveRoom.objects.select_for_update().get(pk=stage.pk)
    current = stage.publisher_connection
    if role not in PUBLISHERS and not (current == connection and stage.publisher_id == user.pk):
        # 连线: a township's screen or staff send only once the big room's moderators handed them
        # the video (hand_over), from the connection it was handed to.
        raise PermissionDenied(_("Only the teacher or staff may send video."))
    taking_back = role in PUBLISHERS and _is_guest(stage, current)
    if (
        current
        and current != connection
        and stage.publisher_id != user.pk
        and not taking_back
        and _connected(stage, current)
    ):
        raise PermissionDenied(
            _("%(name)s is already sending video; they must stop first.")
            % {"name": stage.publisher.get_full_name() or stage.publisher.get_username()}
        )
    changed = current != connection
    stage.publisher, stage.publisher_connection, stage.publisher_source = user, connection, source
    stage.save(update_fields=["publisher", "publisher_connection", "publisher_source"])
    if changed:
        MediaViewer.objects.filter(room=stage).delete()
        _relay_after_commit(stage, feed_id(connection))
    return changed


def _relay_after_commit(stage: LiveRoom, feed: int | None) -> None:
    """With township instances serving this stage's sub-classrooms: once committed, relay the new
    publisher (or no one) to them, in the background (cascade.py)."""
    if not janus.enabled():
        return
    targets = cascade.instances_below(stage)
    if targets:
        transaction.on_commit(lambda: cascade.follow_later(stage.pk, targets, feed), robust=True)


GUEST_ROLES = ("staff", "terminal")  # who in a township sub-classroom may be handed the video


def _is_guest(stage: LiveRoom, connection: str) -> bool:
    """Whether the connection sends video because it was handed it (a sub-classroom's)."""
    if not connection:
        return False
    return PresenceInterval.objects.filter(
        room__in=stage.sub_rooms.values("pk"), connection=connection, ended_at__isnull=True
    ).exists()


@transaction.atomic
def hand_over(*, stage: LiveRoom, role: str, user_id: int) -> tuple[str, int]:
    """连线: the big classroom's teacher or staff hand the video to a township sub-classroom's screen
    (a terminal) or staff member, connected now, for a question from there: everyone follows that
    connection's video once it publishes (media.publish from that connection is then allowed),
    until the moderators send their own again. Returns the connection and its user's id."""
    if role not in PUBLISHERS:
        raise PermissionDenied(_("Only the teacher or staff may hand the video to a sub-classroom."))
    alive = timezone.now() - timedelta(seconds=PRESENCE_STALE_SECONDS)
    guest = (
        PresenceInterval.objects.filter(
            room__in=stage.sub_rooms.values("pk"),
            user_id=user_id,
            role__in=GUEST_ROLES,
            ended_at__isnull=True,
            seen_at__gte=alive,
        )
        .order_by("-seen_at")
        .values_list("connection", "user_id")
        .first()
    )
    if guest is None:
        raise ValidationError(
            _(
                "Hand the video only to a township sub-classroom's screen or staff member who is "
                "connected now."
            )
        )
    connection, guest_user = guest
    stage = LiveRoom.objects.select_for_update().get(pk=stage.pk)
    changed = stage.publisher_connection != connection
    stage.publisher_id, stage.publisher_connection, stage.publisher_source = guest_user, connection, "camera"
    stage.save(update_fields=["publisher", "publisher_connection", "publisher_source"])
    if changed:
        MediaViewer.objects.filter(room=stage).delete()
        _relay_after_commit(stage, feed_id(connection))
    return connection, guest_user


@transaction.atomic
def unpublish(*, stage: LiveRoom, connection: str) -> bool:
    """The publisher stops (or its connection goes); returns whether anything was being sent."""
    stage = LiveRoom.objects.select_for_update().get(pk=stage.pk)
    if not stage.publisher_connection or stage.publisher_connection != connection:
        return False
    stage.publisher, stage.publisher_connection, stage.publisher_source = None, "", ""
    stage.save(update_fields=["publisher", "publisher_connection", "publisher_source"])
    MediaViewer.objects.filter(room=stage).delete()
    _relay_after_commit(stage, None)
    return True


@transaction.atomic
def view(*, stage: LiveRoom, user, connection: str, now: datetime | None = None) -> str:
    """Admit this connection as a viewer; returns the connection it exchanges offers with. The
    stage row lock serialises admissions, so concurrent requests never exceed the limit."""
    stage = LiveRoom.objects.select_for_update().get(pk=stage.pk)
    if not stage.publisher_connection:
        raise ValidationError(_("No one is sending video yet."))
    if stage.publisher_connection == connection:
        raise ValidationError(_("You are the one sending the video."))
    if janus.enabled():
        raise ValidationError(_("This room's video goes through the media server; reload the page."))
    if MediaViewer.objects.filter(room=stage, connection=connection).exists():
        return stage.publisher_connection
    limit = settings.CLASSROOM_MESH_VIEWERS
    now = now or timezone.now()
    # Places of connections that went silently are given back. Presence is written in batches (each
    # process about once a second), so a viewer admitted moments ago keeps its place meanwhile.
    MediaViewer.objects.filter(room=stage, since__lt=now - timedelta(seconds=VIEWER_GRACE_SECONDS)).exclude(
        connection__in=_live_connections(stage)
    ).delete()
    if MediaViewer.objects.filter(room=stage).count() >= limit:
        raise VideoFull(
            _(
                "Video in this room reaches at most %(limit)s screens browser to browser, and all are "
                "taken. You are still in the class: chat, hands and polls work. Watch on a screen "
                "that already shows it, or ask staff to use the media server."
            )
            % {"limit": limit}
        )
    MediaViewer.objects.create(room=stage, user=user, connection=connection, since=now)
    return stage.publisher_connection


def viewer_leave(*, stage: LiveRoom, connection: str) -> bool:
    """Free the connection's viewer place; returns whether it had one."""
    deleted, _rows = MediaViewer.objects.filter(room=stage, connection=connection).delete()
    return bool(deleted)


def signal_peer_ok(*, stage: LiveRoom, sender: str, target: str) -> bool:
    """Offers and answers go only between the publisher and its admitted viewers."""
    publisher = LiveRoom.objects.filter(pk=stage.pk).values_list("publisher_connection", flat=True).first()
    if not publisher:
        return False
    if sender == publisher:
        return MediaViewer.objects.filter(room=stage, connection=target).exists()
    return target == publisher and MediaViewer.objects.filter(room=stage, connection=sender).exists()


def publisher_payload(stage: LiveRoom) -> dict | None:
    if not stage.publisher_connection:
        return None
    user = stage.publisher
    return {
        "peer": stage.publisher_connection,
        "user": stage.publisher_id,  # whom the moderators' 连线 / 收回 buttons are next to
        "name": user.get_full_name() or user.get_username(),
        "source": stage.publisher_source,
        "feed": feed_id(stage.publisher_connection),
    }


def feed_id(connection: str) -> int:
    """The publisher's id in the Janus room, from its connection (below 2⁵³, exact in JavaScript)."""
    return int.from_bytes(hashlib.sha256(connection.encode()).digest()[:6], "big") or 1


# --- The media server ----------------------------------------------------------------------------


def media_server_ready(stage: LiveRoom, room: LiveRoom | None = None) -> bool:
    """With Janus: the stage's Janus room exists (created now if needed), and, for a township
    sub-classroom served by its own instance, the stage's room there too (created now: the city's
    publisher is relayed to it in the background). Network calls, made outside any transaction;
    False (and logged) when Janus cannot be reached."""
    if not janus.enabled():
        return False
    try:
        janus.room_ensure(stage.pk, description=f"live room {stage.pk}")
        instance = cascade.instance_for_room(room) if room is not None else None
        relayed = instance is not None and instance.name != janus.DEFAULT
        if relayed and janus.room_ensure(
            stage.pk, description=f"live room {stage.pk} (relayed)", instance=instance
        ):
            cascade.follow_later(stage.pk, [instance])
    except janus.JanusError:
        janus.logger.exception("Janus room %s could not be created", stage.pk)
        return False
    finally:
        if room is not None and room.parent_id:
            cascade.close_thread_connection()
    return True


def media_server_publisher_only(stage: LiveRoom, feed: int) -> None:
    """With Janus: only the publisher Django announced sends in the room (anyone else who joined
    Janus as a publisher is removed). A network call, outside any transaction; failures are logged."""
    if not janus.enabled():
        return
    try:
        removed = janus.Client(janus.instance_for(stage.pk)).publishers_kick(stage.pk, keep=feed)
    except janus.JanusError:
        janus.logger.exception("Janus room %s: other publishers not removed", stage.pk)
        return
    if removed:
        janus.logger.warning("Janus room %s: removed publishers %s", stage.pk, removed)


def guest_media(*, stage: LiveRoom, user_id: int) -> dict:
    """The big room's own Janus and tokens, for a sub-classroom's guest handed the video (连线): it
    sends to the city's instance, which relays it to the townships'."""
    return client_media(room=stage, stage=stage, user=get_user_model()(pk=user_id), ready=True)


def client_media(*, room: LiveRoom, stage: LiveRoom, user, ready: bool, now: datetime | None = None) -> dict:
    """How this participant's page gets its video (the `media` of `welcome`): browser to browser, or
    through Janus with its URL, the room, a signed token that expires when the class is over (and
    the sweep's grace), and the room's token."""
    if not janus.enabled():
        return {"mode": MediaMode.MESH.value}
    if not ready:
        return {
            "mode": MediaMode.JANUS.value,
            "error": _(
                "The video server cannot be reached just now. Chat, hands and polls work; "
                "reload the page in a minute."
            ),
        }
    if stage.media != MediaMode.JANUS:
        LiveRoom.objects.filter(pk=stage.pk).update(media=MediaMode.JANUS)
        stage.media = MediaMode.JANUS
    now = now or timezone.now()
    ends = batching.trip_memo(  # read once for everyone entering together
        ("janus_ends", room.pk, stage.pk),
        lambda: Session.objects.filter(live_room__in={room.pk, stage.pk}).aggregate(last=Max("ends_at"))[
            "last"
        ],
    )
    expires = max(
        now + timedelta(minutes=settings.JANUS_TOKEN_MINUTES),
        (ends or now) + timedelta(minutes=settings.CLASSROOM_SWEEP_GRACE_MINUTES),
    )
    instance = cascade.instance_for_room(room)
    return {
        "mode": MediaMode.JANUS.value,
        "url": instance.public_url,
        "room": stage.pk,
        "token": janus.signed_token(int(expires.timestamp()), user_id=user.pk, secret=instance.token_secret),
        "room_token": janus.room_token(stage.pk, instance),
    }

"""The live room's websocket: `/ws/classroom/<session id>/`.

Messages are JSON objects with a `type`. From the client:
- `{"type": "presence", "state": "present" | "away"}`: the tab became visible or hidden;
- `{"type": "chat.send", "text": "..."}` (1–500 characters; refused while the chat is muted, except
  for the teacher and staff);
- `{"type": "chat.delete", "id": <message id>}` and `{"type": "chat.mute", "muted": true | false}`:
  teacher and staff only;
- `{"type": "hand.raise"}`, `{"type": "hand.lower"}` (own hand) or `{"type": "hand.lower", "user": <id>}`
  (teacher and staff);
- `{"type": "poll.open", "question": "...", "options": ["...", ...]}` and `{"type": "poll.close"}`:
  teacher and staff; `{"type": "poll.vote", "choice": <option index>}`: anyone, once per poll
  (voting again changes the vote);
- `{"type": "participant.remove", "user": <id>}`: teacher and staff; that person's connections close;
- `{"type": "class.end"}`: teacher and staff only; closes every connection and credits attendance;
- `{"type": "ping"}` every half minute: the connection is alive (its presence keeps counting);
- video (WebRTC, see media.py): `{"type": "media.publish", "source": "camera" | "screen"}` and
  `{"type": "media.stop"}` (teacher and staff); `{"type": "media.request"}` (a viewer asks for the
  stream); `{"type": "media.signal", "to": <peer>, "description": {"type": "offer" | "answer",
  "sdp": "..."}}` between the publisher and an admitted viewer (complete SDP, candidates included).
- `{"type": "media.handover", "user": <id>}` (连线, teacher and staff): the video goes to that township
  sub-classroom's screen or staff member, who gets `media.invite` (with, through Janus, the big
  room's server and tokens) and may then `media.publish` from that connection, until a moderator
  publishes again (see media.hand_over);
From the server:
- `welcome` (your role, your `peer` id, participants, chat history, whether chat is muted, raised
  hands, the current poll, who publishes video, the ICE servers, and `media`: how video comes, `mesh`
  or `janus` with the server's URL, the room and the participant's tokens, see media.py; with Janus,
  a member may also get `hls`: {"url": the signed live HLS playlist, "preferred": whether to watch
  it rather than WebRTC (the room is big), "expires": Unix time}, see live_hls.py) on connecting, so
  a returning participant catches up;
- `participant` (one person's entry, or `null` when their last connection left; to the teacher and
  staff only, who also get the whole list in `welcome`; coalesced: sent after presence is written,
  about once a second, once per person who changed meanwhile), `chat.message`,
  `chat.deleted`, `chat.muted`, `hands`, `poll`, `removed`, `class.ended`;
- `media.publisher` (who sends video now, or `null`), `media.viewer` (to the publisher: a viewer to
  send an offer to), `media.signal` (with `from`), `media.left` (to the publisher: a viewer went),
  `media.full` (the mesh viewer limit is reached, with the message to show);
- `error` with a message in the user's language, for anything malformed, unknown, refused or too fast.

A sub-classroom's connections join its big classroom's group (the stage): they share its video,
chat, hands and polls, and only the big classroom's teacher and staff moderate. Presence is written
to the connection's own room, so attendance is kept per sub-classroom.

Refusals are accepted, then closed with a code and the reason in words (also sent first as
`{"type": "refused", "code": …, "message": …}`, since a close reason holds only 123 bytes), so the
page can show why and stop retrying: 4401 not logged in, 4403 may not enter (services.room_admit,
the websocket's one-query form of services.room_enter), 4404 no such live room. While the channel
layer (Redis) is unreachable, connections close with 4503 and the page retries with back-off.
Frames are weighed before they are parsed (guard.py): binary, over-long and too-fast frames get an
`error`, and a connection that keeps sending them is closed with 4429. The ASGI stack already
refuses foreign origins (lms/origins.py) and reads the session login. The room's group name is
built from its id only.
"""

import contextlib
import time

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from lms.classroom import batching, guard, janus, live_hls, media, presence, selectors, services
from lms.classroom.hub import Outbox, hub_for, room_group
from lms.classroom.models import LiveRoom, PresenceState

RATE_MESSAGES = 10  # at most this many messages…
RATE_SECONDS = 5  # …in this many seconds per connection
MEDIA_RATE_MESSAGES = 40  # video signalling has its own budget: a publisher answers every viewer
SDP_MAX_LENGTH = 60_000

CLOSE_NOT_LOGGED_IN, CLOSE_NOT_ALLOWED, CLOSE_NO_ROOM = 4401, 4403, 4404
CLOSE_UNAVAILABLE, CLOSE_ABUSE = 4503, 4429
REASON_BYTES = 123  # the most a websocket close frame carries

__all__ = ["ClassroomConsumer", "room_group"]


async def _admit(user, session_id: int):
    return await batching.run(services.room_admit, user=user, session_id=session_id)


async def _announce(stage_id: int, user_ids: set[int]) -> None:
    """After presence was written: tell the stage's moderators (in every process) who changed."""
    changes = await database_sync_to_async(selectors.participant_changes)(stage_id, user_ids)
    await get_channel_layer().group_send(
        room_group(stage_id), {"type": "room.participants", "room": stage_id, "changes": changes}
    )


class ClassroomConsumer(AsyncJsonWebsocketConsumer):
    """One connection. Room events reach it through this process's hub (hub.py), which encodes each
    once for all local connections; presence goes to this process's buffer (presence.py), written
    once a second. Entering costs one query for the person's facts and the welcome's reads."""

    accepted = False
    group = None  # the stage's group while this connection is in the room
    closed = False  # once closed (by either side) nothing more is sent
    moderator = False
    media_ready = False  # with Janus: the room exists there
    outbox = None
    publishing = False  # this connection sent video: leaving stops it
    viewing = False  # this connection holds a viewer place: leaving frees it

    async def __call__(self, scope, receive, send):
        """As channels' consumers, except that this connection's channel-layer messages come from
        the process's hub (hub.py): only the hub reads the layer."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.hub = hub_for(self.channel_layer)
        self.channel_name, peer_messages = await self.hub.connect()
        self.base_send = send
        try:
            await await_many_dispatch([receive, peer_messages.get], self.dispatch)
        except StopConsumer:
            pass
        finally:
            self.hub.disconnect(self.channel_name)
            if self.group:  # it ended some other way than a disconnect: its presence still closes
                self.closed = True
                await self._depart()
                await self._media_release()

    async def dispatch(self, message):
        """Without channels' database hop before every message: the handlers' own hops close stale
        connections (one hop fewer per message and per entry)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        self.user = self.scope.get("user")
        # The user's chosen language (the switcher's cookie), else the site's: errors are in it.
        cookies = self.scope.get("cookies", {})
        self.language = cookies.get(settings.LANGUAGE_COOKIE_NAME) or settings.LANGUAGE_CODE
        self.sent_times: dict[str, list[float]] = {"room": [], "media": []}
        self.guard = guard.FrameGuard()
        with translation.override(self.language):
            await self._enter()

    async def _enter(self):
        if self.user is None or not self.user.is_authenticated:
            await self._refuse(
                CLOSE_NOT_LOGGED_IN, _("Your login has expired. Log in again to join the class.")
            )
            return
        try:
            self.room, self.role = await _admit(
                self.user, int(self.scope["url_route"]["kwargs"]["session_id"])
            )
        except services.NoSuchRoom as refused:
            await self._refuse(CLOSE_NO_ROOM, str(refused))
            return
        except PermissionDenied as refused:
            await self._refuse(CLOSE_NOT_ALLOWED, str(refused))
            return
        self.stage = self.room.stage
        # Only the big classroom's own teacher and staff moderate it; a sub-classroom's staff follow.
        self.moderator = self.role in services.MODERATORS and self.stage.pk == self.room.pk
        self.presence = presence.buffer(_announce)
        outbox = Outbox(self._send_text, self._control)
        try:
            await self.hub.join(self.stage.pk, self, outbox)  # events from now on wait in the outbox
        except (RedisError, OSError):  # the channel layer (Redis) is down: come back later
            await self.hub.leave(self.stage.pk, self)
            await self._refuse(
                CLOSE_UNAVAILABLE, _("The live room is temporarily unavailable; reconnecting shortly…")
            )
            return
        self.group, self.outbox = room_group(self.stage.pk), outbox
        await self.accept()
        self._presence(PresenceState.PRESENT)
        # With Janus, its room exists before anyone is told to use it (a network call: not on the loop).
        self.media_ready = janus.enabled() and await sync_to_async(
            media.media_server_ready, thread_sensitive=False
        )(self.stage, self.room)
        state = await self._state()
        self.outbox.skip_chat = {line["id"] for line in state["chat"]}
        await self.send_json({"type": "welcome", "role": self.role, **state})
        self.outbox.start()

    async def _refuse(self, code: int, message: str):
        """Accepted, told why, closed: a browser sees the code and the reason (not a bare 1006)."""
        if not self.accepted:
            await self.accept()
        await self.send_json({"type": "refused", "code": code, "message": message})
        reason = message.encode()[:REASON_BYTES].decode(errors="ignore")
        await self.close(code=code, reason=reason)

    async def disconnect(self, code):
        self.closed = True
        if self.group:
            await self._depart()
            await self._media_release()

    async def send(self, text_data=None, bytes_data=None, close=False):
        """Nothing is sent once the connection closed (a removal, the end, the client went)."""
        if self.closed:
            return
        try:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except OSError:  # the client went while we wrote (uvicorn's ClientDisconnected)
            self.closed = True

    async def accept(self, subprotocol=None, headers=None):
        self.accepted = True
        await super().accept(subprotocol=subprotocol, headers=headers)

    async def send_json(self, content, close=False):
        await self.send(text_data=await self.encode_json(content), close=close)  # through the guard

    async def close(self, code=None, reason=None):
        if self.outbox is not None:
            self.outbox.stop()
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(OSError):
            await super().close(code=code, reason=reason)

    async def _send_text(self, text: str):
        await self.send(text_data=text)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Each frame is weighed before it is parsed (guard.py)."""
        if self.closed or not self.group:
            return
        with translation.override(self.language):
            refusal = self.guard.check(text_data, bytes_data)
            if refusal is None:
                await self._receive(await self.decode_json(text_data))
            elif self.guard.exhausted:
                await self._error(_("Too many refused messages; the connection is closed."))
                await self._depart()
                await self._media_release()
                await self.close(code=CLOSE_ABUSE, reason="too many refused messages")
            else:
                await self._error(REFUSALS[refusal]())

    async def _receive(self, content):
        if self.closed or not self.group:
            return
        kind = content.get("type") if isinstance(content, dict) else None
        if self._too_fast("media" if isinstance(kind, str) and kind.startswith("media.") else "room"):
            await self._error(_("Too many messages; slow down."))
            return
        if not isinstance(kind, str):
            await self._error(_("Messages must be JSON objects with a type."))
            return
        handler = self.HANDLERS.get(kind)
        if handler is None:
            await self._error(_("Unknown message type: %(type)s.") % {"type": kind[:40]})
            return
        try:
            await handler(self, content)
        except media.VideoFull as full:
            await self.send_json({"type": "media.full", "message": str(full)})
        except (PermissionDenied, ValidationError) as refused:
            message = refused.messages[0] if isinstance(refused, ValidationError) else str(refused)
            await self._error(message)
        except RedisError:  # the channel layer went: the page comes back when it is there again
            await self._depart()
            await self._media_release()
            await self._refuse(
                CLOSE_UNAVAILABLE, _("The live room is temporarily unavailable; reconnecting shortly…")
            )

    @property
    def acting_role(self) -> str:
        """The role moderation checks see: a sub-classroom's staff do not moderate the big room."""
        return self.role if self.moderator or self.role not in services.MODERATORS else "follower"

    # --- Client messages ---------------------------------------------------------------------------

    async def on_presence(self, content):
        state = content.get("state")
        if state not in PresenceState.values:
            raise ValidationError(_("Presence must be “present” or “away”."))
        self._presence(state)  # the moderators hear of it with the next write (coalesced)

    async def on_ping(self, content):
        self.presence.seen(self.channel_name)

    async def on_chat_send(self, content):
        text = content.get("text")
        if not isinstance(text, str):
            raise ValidationError(_("A chat message needs its text."))
        payload = await batching.run(  # many speak at once: their lines go to the database together
            _chat_post, room=self.stage, user=self.user, role=self.acting_role, text=text
        )
        await self._event("chat.message", payload)

    async def on_chat_delete(self, content):
        message_id = content.get("id")
        if not _is_id(message_id):
            raise ValidationError(_("Say which message to delete (its id)."))
        await database_sync_to_async(services.chat_delete)(
            room=self.stage, role=self.acting_role, actor=self.user, message_id=message_id
        )
        await self._event("chat.deleted", {"id": message_id})

    async def on_chat_mute(self, content):
        muted = content.get("muted")
        if not isinstance(muted, bool):
            raise ValidationError(_("“muted” must be true or false."))
        await database_sync_to_async(services.chat_mute)(room=self.stage, role=self.acting_role, muted=muted)
        await self._event("chat.muted", {"muted": muted})

    async def on_class_end(self, content):
        if not self.moderator:
            raise PermissionDenied(_("Only the teacher or staff may end the class."))
        await self.presence.flush()  # this process's last second of presence counts too
        await database_sync_to_async(services.room_end)(actor=self.user, room=self.stage)
        await self.channel_layer.group_send(self.group, {"type": "room.ended", "room": self.stage.pk})

    async def on_hand_raise(self, content):
        await database_sync_to_async(services.hand_raise)(room=self.stage, user=self.user)
        await self._broadcast_hands()

    async def on_hand_lower(self, content):
        user_id = content.get("user")
        if user_id is not None and not _is_id(user_id):
            raise ValidationError(_("“user” must be a participant's id."))
        await database_sync_to_async(services.hand_lower)(
            room=self.stage, actor=self.user, role=self.acting_role, user_id=user_id
        )
        await self._broadcast_hands()

    async def on_poll_open(self, content):
        question, options = content.get("question"), content.get("options")
        if not isinstance(question, str) or not isinstance(options, list):
            raise ValidationError(_("A poll needs a question and a list of options."))
        await database_sync_to_async(services.poll_open)(
            room=self.stage, role=self.acting_role, question=question, options=options
        )
        await self._broadcast_poll()

    async def on_poll_close(self, content):
        await database_sync_to_async(services.poll_close)(room=self.stage, role=self.acting_role)
        await self._broadcast_poll()

    async def on_poll_vote(self, content):
        poll = await batching.run(_poll_vote, room=self.stage, user=self.user, choice=content.get("choice"))
        await self._event("poll", {"poll": poll})

    async def on_participant_remove(self, content):
        user_id = content.get("user")
        if not _is_id(user_id) or user_id == self.user.pk:
            raise ValidationError(_("“user” must be another participant's id."))
        await self.presence.flush()
        await database_sync_to_async(services.participant_remove)(
            stage=self.stage, actor=self.user, role=self.acting_role, user_id=user_id
        )
        await self.channel_layer.group_send(
            self.group, {"type": "room.remove", "room": self.stage.pk, "user": user_id}
        )

    async def on_media_publish(self, content):
        await self.presence.flush()  # whether the current publisher is still connected
        changed = await database_sync_to_async(media.publish)(
            stage=self.stage,
            user=self.user,
            role=self.acting_role,
            connection=self.channel_name,
            source=content.get("source"),
        )
        self.publishing = True
        if janus.enabled():  # no one else sends through Janus (a network call: not on the loop)
            await sync_to_async(media.media_server_publisher_only, thread_sensitive=False)(
                self.stage, media.feed_id(self.channel_name)
            )
        await self._broadcast_publisher(renegotiate=changed)

    async def on_media_stop(self, content):
        self.publishing = False
        if await database_sync_to_async(media.unpublish)(stage=self.stage, connection=self.channel_name):
            await self._broadcast_publisher(renegotiate=True)

    async def on_media_handover(self, content):
        """连线: the video goes to a township sub-classroom's screen or staff (media.hand_over), who
        are asked (`media.invite`, with the big room's Janus and tokens) to send their camera."""
        user_id = content.get("user")
        if not _is_id(user_id):
            raise ValidationError(_("“user” must be a participant's id."))
        await self.presence.flush()  # whose connections are live now
        connection, guest = await database_sync_to_async(media.hand_over)(
            stage=self.stage, role=self.acting_role, user_id=user_id
        )
        invite = {"type": "media.invite", "source": "camera"}
        if self.media_ready:
            invite["media"] = await database_sync_to_async(media.guest_media)(stage=self.stage, user_id=guest)
        await self.hub.send_to(connection, invite)
        await self._broadcast_publisher(renegotiate=True)

    async def on_media_request(self, content):
        await self.presence.flush()  # the places of connections that went are given back
        publisher = await database_sync_to_async(media.view)(
            stage=self.stage, user=self.user, connection=self.channel_name
        )
        self.viewing = True
        name = self.user.get_full_name() or self.user.get_username()
        await self.hub.send_to(publisher, {"type": "media.viewer", "peer": self.channel_name, "name": name})

    async def on_media_signal(self, content):
        target, description = content.get("to"), content.get("description")
        if (
            not isinstance(target, str)
            or not isinstance(description, dict)
            or description.get("type") not in ("offer", "answer")
            or not isinstance(description.get("sdp"), str)
            or not 0 < len(description["sdp"]) <= SDP_MAX_LENGTH
        ):
            raise ValidationError(_("A signal needs “to” and a description with an offer or answer."))
        allowed = await database_sync_to_async(media.signal_peer_ok)(
            stage=self.stage, sender=self.channel_name, target=target
        )
        if not allowed:
            raise PermissionDenied(_("Video signals go only between the publisher and its viewers."))
        signal = {
            "type": "media.signal",
            "from": self.channel_name,
            "description": {"type": description["type"], "sdp": description["sdp"]},
        }
        await self.hub.send_to(target, signal)

    HANDLERS = {
        "presence": on_presence,
        "ping": on_ping,
        "chat.send": on_chat_send,
        "chat.delete": on_chat_delete,
        "chat.mute": on_chat_mute,
        "hand.raise": on_hand_raise,
        "hand.lower": on_hand_lower,
        "poll.open": on_poll_open,
        "poll.close": on_poll_close,
        "poll.vote": on_poll_vote,
        "participant.remove": on_participant_remove,
        "class.end": on_class_end,
        "media.publish": on_media_publish,
        "media.stop": on_media_stop,
        "media.handover": on_media_handover,
        "media.request": on_media_request,
        "media.signal": on_media_signal,
    }

    # --- Room and peer events ------------------------------------------------------------------------

    async def peer_message(self, event):
        """A message addressed to this connection alone (video signalling)."""
        if self.group:
            await self.send_json(event["data"])

    async def _control(self, event):
        """A room event this connection acts on (from the hub, in its outbox's order)."""
        if event["type"] == "room.ended":
            await self.room_ended(event)
        elif event["type"] == "room.remove":
            await self.room_remove(event)
        elif event["type"] == "layer.lost":  # Redis restarted: come back (the page reconnects)
            await self._depart()
            await self.close(code=1012)

    async def room_ended(self, event):
        await self.send_json({"type": "class.ended"})
        await self._depart()  # its presence was closed by the end; one written since is closed now
        await self.close(code=4000)

    async def room_remove(self, event):
        if event["user"] != self.user.pk:
            return
        await self.send_json({"type": "removed"})
        await self._depart()
        await self._media_release()
        await self.close(code=4003)

    # --- Helpers -----------------------------------------------------------------------------------

    def _too_fast(self, bucket: str) -> bool:
        now = time.monotonic()
        recent = [t for t in self.sent_times[bucket] if now - t < RATE_SECONDS] + [now]
        self.sent_times[bucket] = recent
        return len(recent) > (MEDIA_RATE_MESSAGES if bucket == "media" else RATE_MESSAGES)

    async def _error(self, message: str):
        await self.send_json({"type": "error", "message": message})

    async def _event(self, name: str, data: dict, audience: str = "all"):
        await self.channel_layer.group_send(
            self.group or room_group(self.stage.pk),
            {"type": "room.event", "room": self.stage.pk, "event": name, "data": data, "audience": audience},
        )

    def _presence(self, state):
        self.presence.record(
            room_id=self.room.pk,
            stage_id=self.stage.pk,
            user_id=self.user.pk,
            connection=self.channel_name,
            role=self.role,
            state=state,
        )

    async def _depart(self):
        """Out of the room: no more room events, presence closed (written with the next batch)."""
        if not self.group:
            return
        self.group = None
        await self.hub.leave(self.stage.pk, self)
        self._presence(None)

    async def _media_release(self):
        """This connection goes: stop its broadcast, or free its viewer place and tell the publisher
        (if the channel layer is down, the others learn it when they reconnect)."""
        with contextlib.suppress(RedisError):
            await self._media_leave()

    async def _media_leave(self):
        if self.publishing:
            self.publishing = False
            if await database_sync_to_async(media.unpublish)(stage=self.stage, connection=self.channel_name):
                await self._broadcast_publisher(renegotiate=True)
                return
        if self.viewing:
            self.viewing = False
            if await database_sync_to_async(media.viewer_leave)(
                stage=self.stage, connection=self.channel_name
            ):
                publisher = await _publisher_connection(self.stage)
                if publisher:
                    await self.hub.send_to(publisher, {"type": "media.left", "peer": self.channel_name})

    async def _state(self) -> dict:
        return await batching.run(self._read_state)

    def _read_state(self) -> dict:
        return {
            "peer": self.channel_name,
            "moderator": self.moderator,
            **batching.trip_memo(
                ("room_state", self.stage.pk, self.moderator),
                lambda: selectors.room_state(self.stage, moderator=self.moderator),
            ),
            "ice_servers": media.ice_servers(self.user),
            "media": live_hls.with_hls(
                media.client_media(room=self.room, stage=self.stage, user=self.user, ready=self.media_ready),
                room=self.room,
                stage=self.stage,
                role=self.role,
            ),
            "ping_seconds": services.PING_SECONDS,
        }

    async def _broadcast_hands(self):
        queue = await database_sync_to_async(selectors.hands)(self.stage)
        await self._event("hands", {"hands": queue})

    async def _broadcast_poll(self):
        poll = await database_sync_to_async(selectors.current_poll)(self.stage)
        await self._event("poll", {"poll": poll})

    async def _broadcast_publisher(self, renegotiate: bool):
        stage = await database_sync_to_async(LiveRoom.objects.select_related("publisher").get)(
            pk=self.stage.pk
        )
        await self._event(
            "media.publisher", {"publisher": media.publisher_payload(stage), "renegotiate": renegotiate}
        )


REFUSALS = {  # why a frame was refused unread, in the user's language when called
    guard.BINARY: lambda: _("Messages must be text (JSON), not binary."),
    guard.TOO_LONG: lambda: _("This message is too long."),
    guard.TOO_FAST: lambda: _("Too many messages; slow down."),
}


def _poll_vote(*, room, user, choice) -> dict:
    services.poll_vote(room=room, user=user, choice=choice)
    return selectors.current_poll(room)


def _chat_post(*, room, user, role, text) -> dict:
    return selectors.chat_payload(services.chat_post(room=room, user=user, role=role, text=text))


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@database_sync_to_async
def _publisher_connection(stage) -> str:
    return LiveRoom.objects.filter(pk=stage.pk).values_list("publisher_connection", flat=True).first() or ""

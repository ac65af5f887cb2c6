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
- `{"type": "class.end"}`: teacher and staff only; closes every connection and credits attendance.
From the server:
- `welcome` (your role, participants, chat history, whether chat is muted, raised hands, the current
  poll) on connecting, so a returning participant catches up;
- `participants`, `chat.message`, `chat.deleted`, `chat.muted`, `hands`, `poll`, `removed`,
  `class.ended`;
- `error` with a message in the user's language, for anything malformed, unknown, refused or too fast.

Connections are refused (closed with 4403) for anyone who may not enter (services.room_enter), and
the ASGI stack already refuses foreign origins and reads the session login. The room's group name is
built from its id only.
"""

import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from lms.classroom import selectors, services
from lms.classroom.models import PresenceState
from lms.scheduling.models import Session

RATE_MESSAGES = 10  # at most this many messages…
RATE_SECONDS = 5  # …in this many seconds per connection


def room_group(room_id: int) -> str:
    return f"classroom.room.{int(room_id)}"


@database_sync_to_async
def _enter(user, session_id: int):
    session = Session.objects.select_related("training_class", "teacher").filter(pk=session_id).first()
    if session is None:
        raise PermissionDenied(_("There is no such session."))
    return services.room_enter(user=user, session=session)


class ClassroomConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.user = self.scope.get("user")
        # The user's chosen language (the switcher's cookie), else the site's: errors are in it.
        cookies = self.scope.get("cookies", {})
        self.language = cookies.get(settings.LANGUAGE_COOKIE_NAME) or settings.LANGUAGE_CODE
        self.sent_times: list[float] = []
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=4401)
            return
        try:
            self.room, self.role = await _enter(
                self.user, int(self.scope["url_route"]["kwargs"]["session_id"])
            )
        except PermissionDenied:
            await self.close(code=4403)
            return
        self.group = room_group(self.room.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._presence(PresenceState.PRESENT)
        await self.send_json({"type": "welcome", "role": self.role, **(await self._state())})
        await self._broadcast_participants()

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self._presence(None)
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self._broadcast_participants()

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    async def receive_json(self, content, **kwargs):
        with translation.override(self.language):
            await self._receive(content)

    async def _receive(self, content):
        if self._too_fast():
            await self._error(_("Too many messages; slow down."))
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self._error(_("Messages must be JSON objects with a type."))
            return
        handler = self.HANDLERS.get(content["type"])
        if handler is None:
            await self._error(_("Unknown message type: %(type)s.") % {"type": content["type"][:40]})
            return
        try:
            await handler(self, content)
        except (PermissionDenied, ValidationError) as refused:
            message = refused.messages[0] if isinstance(refused, ValidationError) else str(refused)
            await self._error(message)

    # --- Client messages ---------------------------------------------------------------------------

    async def on_presence(self, content):
        state = content.get("state")
        if state not in PresenceState.values:
            raise ValidationError(_("Presence must be “present” or “away”."))
        await self._presence(state)
        await self._broadcast_participants()

    async def on_chat_send(self, content):
        text = content.get("text")
        if not isinstance(text, str):
            raise ValidationError(_("A chat message needs its text."))
        message = await database_sync_to_async(services.chat_post)(
            room=self.room, user=self.user, role=self.role, text=text
        )
        payload = await database_sync_to_async(selectors.chat_payload)(message)
        await self.channel_layer.group_send(
            self.group, {"type": "room.event", "event": "chat.message", "data": payload}
        )

    async def on_chat_delete(self, content):
        message_id = content.get("id")
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            raise ValidationError(_("Say which message to delete (its id)."))
        await database_sync_to_async(services.chat_delete)(
            room=self.room, role=self.role, actor=self.user, message_id=message_id
        )
        await self.channel_layer.group_send(
            self.group, {"type": "room.event", "event": "chat.deleted", "data": {"id": message_id}}
        )

    async def on_chat_mute(self, content):
        muted = content.get("muted")
        if not isinstance(muted, bool):
            raise ValidationError(_("“muted” must be true or false."))
        await database_sync_to_async(services.chat_mute)(room=self.room, role=self.role, muted=muted)
        await self.channel_layer.group_send(
            self.group, {"type": "room.event", "event": "chat.muted", "data": {"muted": muted}}
        )

    async def on_class_end(self, content):
        await database_sync_to_async(services.room_end)(actor=self.user, room=self.room)
        await self.channel_layer.group_send(self.group, {"type": "room.ended"})

    async def on_hand_raise(self, content):
        await database_sync_to_async(services.hand_raise)(room=self.room, user=self.user)
        await self._broadcast_hands()

    async def on_hand_lower(self, content):
        user_id = content.get("user")
        if user_id is not None and (not isinstance(user_id, int) or isinstance(user_id, bool)):
            raise ValidationError(_("“user” must be a participant's id."))
        await database_sync_to_async(services.hand_lower)(
            room=self.room, actor=self.user, role=self.role, user_id=user_id
        )
        await self._broadcast_hands()

    async def on_poll_open(self, content):
        question, options = content.get("question"), content.get("options")
        if not isinstance(question, str) or not isinstance(options, list):
            raise ValidationError(_("A poll needs a question and a list of options."))
        await database_sync_to_async(services.poll_open)(
            room=self.room, role=self.role, question=question, options=options
        )
        await self._broadcast_poll()

    async def on_poll_close(self, content):
        await database_sync_to_async(services.poll_close)(room=self.room, role=self.role)
        await self._broadcast_poll()

    async def on_poll_vote(self, content):
        await database_sync_to_async(services.poll_vote)(
            room=self.room, user=self.user, choice=content.get("choice")
        )
        await self._broadcast_poll()

    async def on_participant_remove(self, content):
        user_id = content.get("user")
        if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id == self.user.pk:
            raise ValidationError(_("“user” must be another participant's id."))
        await database_sync_to_async(services.participant_remove)(
            room=self.room, role=self.role, user_id=user_id
        )
        await self.channel_layer.group_send(self.group, {"type": "room.remove", "user": user_id})

    HANDLERS = {
        "hand.raise": on_hand_raise,
        "hand.lower": on_hand_lower,
        "poll.open": on_poll_open,
        "poll.close": on_poll_close,
        "poll.vote": on_poll_vote,
        "participant.remove": on_participant_remove,
        "presence": on_presence,
        "chat.send": on_chat_send,
        "chat.delete": on_chat_delete,
        "chat.mute": on_chat_mute,
        "class.end": on_class_end,
    }

    # --- Group events ------------------------------------------------------------------------------

    async def room_event(self, event):
        await self.send_json({"type": event["event"], **event["data"]})

    async def room_ended(self, event):
        await self.send_json({"type": "class.ended"})
        await self._leave(code=4000)

    async def room_remove(self, event):
        if event["user"] != self.user.pk:
            return
        await self.send_json({"type": "removed"})
        await self._presence(None)
        group = await self._leave(code=4003)
        await self._broadcast_participants(group)

    # --- Helpers -----------------------------------------------------------------------------------

    def _too_fast(self) -> bool:
        now = time.monotonic()
        self.sent_times = [t for t in self.sent_times if now - t < RATE_SECONDS] + [now]
        return len(self.sent_times) > RATE_MESSAGES

    async def _error(self, message: str):
        await self.send_json({"type": "error", "message": message})

    async def _presence(self, state):
        await database_sync_to_async(services.presence_set)(
            room=self.room, user=self.user, state=state, connection=self.channel_name, role=self.role
        )

    @database_sync_to_async
    def _state(self) -> dict:
        self.room.refresh_from_db(fields=["chat_muted"])
        return {
            "participants": selectors.participants(self.room),
            "chat": selectors.chat_history(self.room),
            "chat_muted": self.room.chat_muted,
            "hands": selectors.hands(self.room),
            "poll": selectors.current_poll(self.room),
        }

    async def _leave(self, code: int) -> str:
        """Leave the room's group and close (so `disconnect` does nothing more); returns the group."""
        group, self.group = self.group, None
        await self.channel_layer.group_discard(group, self.channel_name)
        await self.close(code=code)
        return group

    async def _broadcast_participants(self, group: str | None = None):
        people = await database_sync_to_async(selectors.participants)(self.room)
        await self.channel_layer.group_send(
            group or self.group,
            {"type": "room.event", "event": "participants", "data": {"participants": people}},
        )

    async def _broadcast_hands(self):
        queue = await database_sync_to_async(selectors.hands)(self.room)
        await self.channel_layer.group_send(
            self.group, {"type": "room.event", "event": "hands", "data": {"hands": queue}}
        )

    async def _broadcast_poll(self):
        poll = await database_sync_to_async(selectors.current_poll)(self.room)
        await self.channel_layer.group_send(
            self.group, {"type": "room.event", "event": "poll", "data": {"poll": poll}}
        )

"""A minimal authenticated echo used to prove the websocket stack (and the Redis layer) end to end."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _


class PingConsumer(AsyncJsonWebsocketConsumer):
    """Answers {"type": "ping"} with {"type": "pong", "user": <username>}; refuses anonymous users."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        await self.accept()

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or content.get("type") != "ping":
            await self.send_json({"type": "error", "message": _("Unknown message type.")})
            return
        await self.send_json({"type": "pong", "user": self.scope["user"].get_username()})

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

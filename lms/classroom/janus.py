"""A small client of the Janus media server's HTTP API, for the rooms Django owns, and the tokens
Django gives participants.

Django talks to Janus with the server's `api_secret` (Janus's `JANUS_API_SECRET`) and creates
VideoRoom rooms with the plugin's `admin_key` (`JANUS_ADMIN_KEY`), so no one else can. Each room has
a secret (to destroy it) and an `allowed` list holding one room token; both are derived from the
site's SECRET_KEY and the room's id, so nothing is stored and creating a room twice is harmless.
Browsers get two tokens: a signed Janus token (`token_auth_secret`, `JANUS_TOKEN_SECRET`), which lets
them open a Janus session until it expires, and the room token, which lets them join that room only.
A token Django did not sign is refused by Janus before any plugin sees it.

The standard library's urllib is enough: a few small JSON posts per room (create, destroy), made
from a worker thread, never on the event loop and never inside a database transaction.

Instances (`JANUS_INSTANCES`, for the city → township cascade): a JSON object naming each instance
with the URL Django uses and the URL browsers use, e.g.
`{"city": {"url": "http://10.0.0.5:8088/janus", "public_url": "wss://lms.example.org/janus/"}}`.
`JANUS_URL` (and `JANUS_PUBLIC_URL`) is the instance called "default"; for now every room is served
by the default instance.
"""

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.error import URLError
from urllib.request import Request, urlopen

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)

VIDEOROOM = "janus.plugin.videoroom"
ROOM_EXISTS, NO_SUCH_ROOM = 427, 426  # VideoRoom's error codes


class JanusError(Exception):
    """Janus did not answer, or refused; `code` is Janus's (or VideoRoom's) error code if any."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Instance:
    name: str
    url: str  # the HTTP API as Django reaches it
    public_url: str  # as browsers reach it (ws://, wss://, http(s):// or a path on the site)


def instances() -> dict[str, Instance]:
    found = {}
    if settings.JANUS_URL:
        found["default"] = Instance(
            "default", settings.JANUS_URL, settings.JANUS_PUBLIC_URL or settings.JANUS_URL
        )
    try:
        configured = json.loads(settings.JANUS_INSTANCES or "{}")
        for name, each in configured.items():
            found[name] = Instance(name, each["url"], each.get("public_url") or each["url"])
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ImproperlyConfigured(
            'JANUS_INSTANCES must be JSON like {"name": {"url": "...", "public_url": "..."}}'
        ) from error
    return found


def enabled() -> bool:
    return bool(settings.JANUS_URL)


def instance_for(room_id: int) -> Instance:
    """The instance serving a (big) room: the default one for now (the cascade will choose)."""
    return instances()["default"]


# --- Secrets and tokens --------------------------------------------------------------------------


def room_secret(room_id: int) -> str:
    return salted_hmac("lms.classroom.janus.room-secret", str(room_id), algorithm="sha256").hexdigest()


def room_token(room_id: int) -> str:
    """The token of the room's `allowed` list: given only to those admitted to the room."""
    return salted_hmac("lms.classroom.janus.room-token", str(room_id), algorithm="sha256").hexdigest()[:32]


def signed_token(expires_at: int, user_id: int | None = None, secret: str | None = None) -> str:
    """A Janus token signed with `token_auth_secret` (HMAC-SHA1 of "expiry,janus,plugin[,user]"), good
    for the VideoRoom plugin until `expires_at` (a Unix time); the user's id makes it theirs."""
    data = f"{int(expires_at)},janus,{VIDEOROOM}" + (f",lms-user-{user_id}" if user_id else "")
    key = (secret if secret is not None else settings.JANUS_TOKEN_SECRET).encode()
    signature = base64.b64encode(hmac.new(key, data.encode(), hashlib.sha1).digest()).decode()
    return f"{data}:{signature}"


# --- The HTTP API --------------------------------------------------------------------------------


class Client:
    """Calls to one Janus instance with the API secret. Each operation opens a Janus session,
    attaches to VideoRoom, sends one request and destroys the session."""

    def __init__(self, instance: Instance):
        if not instance.url.startswith(("http://", "https://")):
            raise ImproperlyConfigured(
                f"Janus instance {instance.name}: its url must be http(s)://, not {instance.url!r}"
            )
        self.url = instance.url.rstrip("/")

    def _post(self, path: str, body: dict) -> dict:
        body = {**body, "transaction": secrets.token_hex(6), "apisecret": settings.JANUS_API_SECRET}
        request = Request(  # noqa: S310 (the scheme is checked in __init__: http or https only)
            self.url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urlopen(request, timeout=settings.JANUS_TIMEOUT_SECONDS) as answer:  # noqa: S310
                reply = json.loads(answer.read())
        except (URLError, OSError, ValueError) as error:
            raise JanusError(f"Janus at {self.url} did not answer: {error}") from error
        if reply.get("janus") == "error":
            error = reply.get("error", {})
            raise JanusError(error.get("reason", "Janus refused"), error.get("code"))
        return reply

    @contextmanager
    def videoroom(self):
        session = self._post("", {"janus": "create"})["data"]["id"]
        try:
            handle = self._post(f"/{session}", {"janus": "attach", "plugin": VIDEOROOM})["data"]["id"]
            yield lambda body: self._plugin_request(session, handle, body)
        finally:
            try:
                self._post(f"/{session}", {"janus": "destroy"})
            except JanusError:
                logger.warning("Janus session %s at %s not destroyed", session, self.url)

    def _plugin_request(self, session: int, handle: int, body: dict) -> dict:
        reply = self._post(f"/{session}/{handle}", {"janus": "message", "body": body})
        data = reply.get("plugindata", {}).get("data", {})
        if "error_code" in data:
            raise JanusError(data.get("error", "VideoRoom refused"), data["error_code"])
        return data

    def room_create(self, room_id: int, *, description: str = "", publishers: int = 3) -> bool:
        """Create the room (with its secret and allowed token) unless it exists; returns whether it
        was created now."""
        with self.videoroom() as request:
            try:
                request(
                    {
                        "request": "create",
                        "admin_key": settings.JANUS_ADMIN_KEY,
                        "room": room_id,
                        "description": description[:100],
                        "secret": room_secret(room_id),
                        "allowed": [room_token(room_id)],
                        "is_private": True,
                        "publishers": publishers,
                        "bitrate": settings.JANUS_BITRATE,
                        "permanent": False,
                        # Every room records (lms.vod makes the video on demand after the class).
                        "record": True,
                        "rec_dir": str(settings.JANUS_RECORDINGS_DIR / str(room_id)),
                    }
                )
            except JanusError as error:
                if error.code == ROOM_EXISTS:
                    return False
                raise
        return True

    def room_exists(self, room_id: int) -> bool:
        with self.videoroom() as request:
            return bool(request({"request": "exists", "room": room_id}).get("exists"))

    def publishers_kick(self, room_id: int, keep: int) -> list[int]:
        """Remove from the room every publisher but `keep` (whoever joined with a participant's tokens
        to send video Django did not allow); returns the ids removed."""
        with self.videoroom() as request:
            listed = request({"request": "listparticipants", "room": room_id}).get("participants", [])
            others = [each["id"] for each in listed if each["id"] != keep]
            for feed in others:
                try:
                    request({"request": "kick", "room": room_id, "id": feed, "secret": room_secret(room_id)})
                except JanusError as error:
                    logger.warning("Janus room %s: publisher %s not removed (%s)", room_id, feed, error)
        return others

    def room_destroy(self, room_id: int) -> bool:
        """Destroy the room (its participants are told and dropped); returns whether it existed."""
        with self.videoroom() as request:
            try:
                request({"request": "destroy", "room": room_id, "secret": room_secret(room_id)})
            except JanusError as error:
                if error.code == NO_SUCH_ROOM:
                    return False
                raise
        return True


# Rooms this process knows exist (room id → until when it trusts that): 500 phones entering at once
# do not each ask Janus. A Janus restart loses its rooms; they come back within this many seconds.
ROOM_KNOWN_SECONDS = 10
_known_rooms: dict[int, float] = {}


def room_ensure(room_id: int, description: str = "") -> None:
    """The room exists in Janus (created now if it did not). Raises JanusError if Janus cannot be
    reached."""
    if _known_rooms.get(room_id, 0) > time.monotonic():
        return
    Client(instance_for(room_id)).room_create(room_id, description=description)
    _known_rooms[room_id] = time.monotonic() + ROOM_KNOWN_SECONDS


def room_close(room_id: int) -> None:
    """Destroy the room in Janus; a failure is logged, never raised (the class has ended anyway)."""
    _known_rooms.pop(room_id, None)
    if not enabled():
        logger.warning("Janus room %s not destroyed: JANUS_URL is not set", room_id)
        return
    try:
        Client(instance_for(room_id)).room_destroy(room_id)
    except JanusError:
        logger.exception("Janus room %s not destroyed", room_id)

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

Instances (`JANUS_INSTANCES`, for the city → township cascade, see cascade.py): a JSON object naming
each further instance with the URL Django uses, the URL browsers use, its own secrets (each defaults
to the JANUS_* setting of the same name), the township schools whose sub-classrooms it serves (page
ids or slugs) and the address the city's Janus sends it RTP to (default: the host of `url`), e.g.
`{"town-a": {"url": "http://10.0.0.6:8088/janus", "public_url": "wss://town-a.example.org/janus/",
"api_secret": "…", "token_secret": "…", "admin_key": "…", "townships": [42, "xinzhen"],
"rtp_host": "10.0.0.6"}}`. `JANUS_URL` (and `JANUS_PUBLIC_URL` and the JANUS_* secrets) is the
instance called "default": it serves the city's big rooms and every room no instance claims.
Room tokens are per instance too, so neither kind of token of one instance opens the other.
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
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)

VIDEOROOM = "janus.plugin.videoroom"
ROOM_EXISTS, NO_SUCH_ROOM, NO_SUCH_FEED = 427, 426, 428  # VideoRoom's error codes


class JanusError(Exception):
    """Janus did not answer, or refused; `code` is Janus's (or VideoRoom's) error code if any."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


DEFAULT = "default"


@dataclass(frozen=True)
class Instance:
    name: str
    url: str  # the HTTP API as Django reaches it
    public_url: str  # as browsers reach it (ws://, wss://, http(s):// or a path on the site)
    api_secret: str = ""
    token_secret: str = ""
    admin_key: str = ""
    townships: tuple[str, ...] = ()  # township school page ids or slugs whose sub-classrooms it serves
    rtp_host: str = ""  # where the city's Janus sends this instance RTP (default: the host of `url`)

    @property
    def forward_host(self) -> str:
        return self.rtp_host or urlsplit(self.url).hostname or "127.0.0.1"


def instances() -> dict[str, Instance]:
    found = {}
    if settings.JANUS_URL:
        found[DEFAULT] = Instance(
            DEFAULT,
            settings.JANUS_URL,
            settings.JANUS_PUBLIC_URL or settings.JANUS_URL,
            settings.JANUS_API_SECRET,
            settings.JANUS_TOKEN_SECRET,
            settings.JANUS_ADMIN_KEY,
        )
    try:
        configured = json.loads(settings.JANUS_INSTANCES or "{}")
        for name, each in configured.items():
            found[name] = Instance(
                str(name),
                each["url"],
                each.get("public_url") or each["url"],
                each.get("api_secret", settings.JANUS_API_SECRET),
                each.get("token_secret", settings.JANUS_TOKEN_SECRET),
                each.get("admin_key", settings.JANUS_ADMIN_KEY),
                tuple(str(township) for township in each.get("townships", ())),
                each.get("rtp_host", ""),
            )
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ImproperlyConfigured(
            'JANUS_INSTANCES must be JSON like {"name": {"url": "...", "public_url": "...", '
            '"townships": [<page id or slug>, ...]}}'
        ) from error
    return found


def enabled() -> bool:
    return bool(settings.JANUS_URL)


def instance_for(room_id: int) -> Instance:
    """The instance serving a big room (the stage): the default one. Which instance serves a
    township's sub-classroom is cascade.instance_for_room's choice."""
    return instances()[DEFAULT]


# --- Secrets and tokens --------------------------------------------------------------------------


def _instance_salt(instance: Instance | None) -> str:
    return "" if instance is None or instance.name == DEFAULT else f"@{instance.name}"


def room_secret(room_id: int, instance: Instance | None = None) -> str:
    return salted_hmac(
        "lms.classroom.janus.room-secret", f"{room_id}{_instance_salt(instance)}", algorithm="sha256"
    ).hexdigest()


def room_token(room_id: int, instance: Instance | None = None) -> str:
    """The token of the room's `allowed` list on that instance: given only to those admitted."""
    return salted_hmac(
        "lms.classroom.janus.room-token", f"{room_id}{_instance_salt(instance)}", algorithm="sha256"
    ).hexdigest()[:32]


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
        self.instance = instance
        self.url = instance.url.rstrip("/")
        self.session = None  # the Janus session of the current `videoroom()` block

    def _post(self, path: str, body: dict) -> dict:
        body = {**body, "transaction": secrets.token_hex(6), "apisecret": self.instance.api_secret}
        request = Request(  # noqa: S310 (the scheme is checked in __init__: http or https only)
            self.url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        return self._answer(request)

    def _answer(self, request) -> dict:
        try:
            with urlopen(request, timeout=settings.JANUS_TIMEOUT_SECONDS) as answer:  # noqa: S310
                reply = json.loads(answer.read())
        except (URLError, OSError, ValueError) as error:
            raise JanusError(f"Janus at {self.url} did not answer: {error}") from error
        if reply.get("janus") == "error":
            error = reply.get("error", {})
            raise JanusError(error.get("reason", "Janus refused"), error.get("code"))
        return reply

    def _event(self, session: int) -> dict:
        """The session's next event (the HTTP API's long poll), e.g. the answer to a `join`."""
        query = urlencode({"apisecret": self.instance.api_secret, "maxev": 1})
        return self._answer(Request(f"{self.url}/{session}?{query}"))  # noqa: S310 (http(s), see above)

    @contextmanager
    def videoroom(self):
        session = self._post("", {"janus": "create"})["data"]["id"]
        self.session = session
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
                        "admin_key": self.instance.admin_key,
                        "room": room_id,
                        "description": description[:100],
                        "secret": room_secret(room_id, self.instance),
                        "allowed": [room_token(room_id, self.instance)],
                        "is_private": True,
                        "publishers": publishers,
                        "bitrate": settings.JANUS_BITRATE,
                        "permanent": False,
                        # Every room records (lms.vod makes the video on demand after the class);
                        # a township's relayed copy does not (the city's instance has it).
                        "record": self.instance.name == DEFAULT,
                        "rec_dir": str(settings.JANUS_RECORDINGS_DIR / str(room_id)),
                    }
                )
            except JanusError as error:
                if error.code == ROOM_EXISTS:
                    return False
                raise
        return True

    def secret(self, room_id: int) -> str:
        """The room's secret on this instance (to change or destroy it)."""
        return room_secret(room_id, self.instance)

    def participants(self, room_id: int) -> list[dict]:
        """Who is in the room: `id`, `display`, `publisher` (sending now), per VideoRoom."""
        with self.videoroom() as request:
            return request({"request": "listparticipants", "room": room_id}).get("participants", [])

    def publisher_streams(self, room_id: int, feed: int) -> list[dict] | None:
        """The streams the publisher `feed` sends (type, mindex, mid, codec…, as VideoRoom
        announces them to a joining participant), or None while it sends nothing. Django joins the
        room for a moment as a participant that publishes nothing, reads the list, and leaves."""
        with self.videoroom() as request:
            request(
                {
                    "request": "join",
                    "ptype": "publisher",
                    "room": room_id,
                    "token": room_token(room_id, self.instance),
                    "display": "lms-probe",
                }
            )
            joined = self._event(self.session).get("plugindata", {}).get("data", {})
            if "error_code" in joined:
                raise JanusError(joined.get("error", "VideoRoom refused"), joined["error_code"])
            for publisher in joined.get("publishers", []):
                if publisher.get("id") == feed and publisher.get("streams"):
                    return [each for each in publisher["streams"] if not each.get("disabled")]
        return None

    def remote_publisher_add(self, room_id: int, feed: int, streams: list[dict], display: str = "") -> dict:
        """Announce in this instance's room a publisher whose RTP comes from another Janus (the
        city's): returns where to send it (`ip`, `port`, `rtcp_port`). The feed keeps the city's id,
        so pages subscribe to the same feed on either instance."""
        keys = ("type", "mindex", "mid", "codec", "stereo", "fec", "dtx", "h264-profile", "vp9-profile")
        with self.videoroom() as request:
            return request(
                {
                    "request": "add_remote_publisher",
                    "room": room_id,
                    "id": feed,
                    "secret": self.secret(room_id),
                    "display": display[:100] or str(feed),
                    "iface": self.instance.forward_host,
                    "streams": [{key: each[key] for key in keys if key in each} for each in streams],
                }
            )

    def remote_publisher_remove(self, room_id: int, feed: int) -> bool:
        with self.videoroom() as request:
            try:
                request(
                    {
                        "request": "remove_remote_publisher",
                        "room": room_id,
                        "id": feed,
                        "secret": self.secret(room_id),
                    }
                )
            except JanusError as error:
                if error.code in (NO_SUCH_ROOM, NO_SUCH_FEED):
                    return False
                raise
        return True

    def publish_remotely(
        self, room_id: int, feed: int, remote_id: str, host: str, port: int, rtcp_port: int | None
    ) -> None:
        """Relay the local publisher `feed`'s RTP to a remote publisher on another instance (what
        `remote_publisher_add` there answered). `remote_id` names this relay on this instance."""
        body = {
            "request": "publish_remotely",
            "room": room_id,
            "publisher_id": feed,
            "remote_id": remote_id,
            "secret": self.secret(room_id),
            "admin_key": self.instance.admin_key,
            "host": host,
            "port": port,
        }
        if rtcp_port:
            body["rtcp_port"] = rtcp_port
        with self.videoroom() as request:
            request(body)

    def unpublish_remotely(self, room_id: int, feed: int, remote_id: str) -> bool:
        with self.videoroom() as request:
            try:
                request(
                    {
                        "request": "unpublish_remotely",
                        "room": room_id,
                        "publisher_id": feed,
                        "remote_id": remote_id,
                        "secret": self.secret(room_id),
                    }
                )
            except JanusError as error:
                if error.code in (NO_SUCH_ROOM, NO_SUCH_FEED):
                    return False
                raise
        return True

    def rtp_forward(self, room_id: int, feed: int, host: str, streams: list[dict]) -> list[dict]:
        """Public helper (also used by live HLS, lms/classroom/live_hls.py): forward the publisher
        `feed`'s streams as plain RTP to `host`. `streams` as VideoRoom's `rtp_forward` takes them,
        e.g. `[{"mid": "0", "port": 5004, "pt": 96, "ssrc": 1}]`, each with the stream's `mid`
        (`publisher_streams` tells them; live_hls.py uses VideoRoom's older `video_port` form
        instead, which needs none). Returns VideoRoom's `forwarders` (each with its `stream_id`, for
        `stop_rtp_forward`). The plugin's admin_key is sent (lock_rtp_forward)."""
        with self.videoroom() as request:
            answer = request(
                {
                    "request": "rtp_forward",
                    "room": room_id,
                    "publisher_id": feed,
                    "host": host,
                    "streams": streams,
                    "secret": self.secret(room_id),
                    "admin_key": self.instance.admin_key,
                }
            )
        return answer.get("forwarders", [])

    def stop_rtp_forward(self, room_id: int, feed: int, stream_id: int) -> bool:
        """Public helper (also used by live HLS): stop one forwarder `rtp_forward` started; returns
        whether it was there (a publisher that left took its forwarders with it)."""
        with self.videoroom() as request:
            try:
                request(
                    {
                        "request": "stop_rtp_forward",
                        "room": room_id,
                        "publisher_id": feed,
                        "stream_id": stream_id,
                        "secret": self.secret(room_id),
                        "admin_key": self.instance.admin_key,
                    }
                )
            except JanusError as error:
                if error.code in (NO_SUCH_ROOM, NO_SUCH_FEED):
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
                    request({"request": "kick", "room": room_id, "id": feed, "secret": self.secret(room_id)})
                except JanusError as error:
                    logger.warning("Janus room %s: publisher %s not removed (%s)", room_id, feed, error)
        return others

    def room_destroy(self, room_id: int) -> bool:
        """Destroy the room (its participants are told and dropped); returns whether it existed."""
        with self.videoroom() as request:
            try:
                request({"request": "destroy", "room": room_id, "secret": self.secret(room_id)})
            except JanusError as error:
                if error.code == NO_SUCH_ROOM:
                    return False
                raise
        return True


# Rooms this process knows exist ((instance, room id) → until when it trusts that): 500 phones
# entering at once do not each ask Janus. A Janus restart loses its rooms; they come back within
# this many seconds.
ROOM_KNOWN_SECONDS = 10
_known_rooms: dict[tuple[str, int], float] = {}


def room_ensure(room_id: int, description: str = "", instance: Instance | None = None) -> bool:
    """The room exists in Janus (the stage's instance unless another is named); returns whether it
    was created now. Raises JanusError if Janus cannot be reached."""
    instance = instance or instance_for(room_id)
    if _known_rooms.get((instance.name, room_id), 0) > time.monotonic():
        return False
    created = Client(instance).room_create(room_id, description=description)
    _known_rooms[(instance.name, room_id)] = time.monotonic() + ROOM_KNOWN_SECONDS
    return created


def room_close(room_id: int) -> None:
    """Destroy the room on every instance (the stage's, and the townships' that received it); a
    failure is logged, never raised (the class has ended anyway)."""
    for key in [key for key in _known_rooms if key[1] == room_id]:
        _known_rooms.pop(key, None)
    if not enabled():
        logger.warning("Janus room %s not destroyed: JANUS_URL is not set", room_id)
        return
    for instance in instances().values():
        try:
            Client(instance).room_destroy(room_id)
        except JanusError:
            logger.exception("Janus room %s not destroyed on %s", room_id, instance.name)

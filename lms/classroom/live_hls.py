"""Live HLS for phones: the live room's video a few seconds behind, as static files.

With Janus (JANUS_URL), members of a big room (LIVE_HLS_MIN_VIEWERS people or more) watch the lecture
as HLS instead of each holding a WebRTC connection to Janus; terminals (the township and village
screens), the teacher and staff stay on WebRTC. A member may switch either way on the page.

How the stream is made (`manage.py live_hls`, one supervisor for the site, see Supervisor): for each
live big classroom whose publisher sends through Janus, VideoRoom `rtp_forward`s the publisher's feed
(VP8 video, Opus audio) to two local UDP ports, where ffmpeg reads it (an SDP file) and writes H.264/AAC
HLS (LIVE_HLS_SEGMENT_SECONDS segments, a sliding playlist) into LIVE_HLS_ROOT/<folder>/. When the
publisher changes (camera → screen keeps the feed; teacher → a township's "连线" or staff is a new
feed) the forward follows and ffmpeg starts again, appending to the same playlist with a
discontinuity. A crashed or silent ffmpeg is started again; folders of rooms gone are removed.

Who may fetch it: the folder is unguessable (an HMAC of the room's id under the site's secret), and
every URL carries a signature and an expiry: /live-hls/<signature>/<expires>/<folder>/<file>, the
signature being nginx's `secure_link_md5 "$secure_link_expires$folder <LIVE_HLS_SECRET>"` (MD5,
base64url). nginx (deploy/nginx.conf) checks it for every playlist and segment without asking
Django; in development Django's `live_hls_file` view checks the same, without a database query.
Only a page (or `welcome`) the room admitted gets a URL, good until the class is over (and the
sweep's grace), at least LIVE_HLS_TOKEN_MINUTES.
"""

import base64
import fcntl
import hashlib
import hmac
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from lms.classroom import batching, janus
from lms.classroom.media import feed_id
from lms.classroom.models import LiveRoom, MediaMode, PresenceInterval
from lms.scheduling.models import Session

logger = logging.getLogger(__name__)

URL_PREFIX = "/live-hls/"
PLAYLIST = "index.m3u8"
FILE_NAME = re.compile(r"^(index\.m3u8|seg-\d{1,9}\.ts)$")
FOLDER_NAME = re.compile(r"^[0-9a-f]{32}$")
AUDIENCE_CACHE_SECONDS = 10
VIDEO_PT, AUDIO_PT = 96, 111  # the payload types Janus rewrites the forwarded packets to
NO_SUCH_FEED = 428  # VideoRoom: the publisher is not (yet) in the room


# --- Where the files are and who may fetch them --------------------------------------------------


def room_folder(room_id: int) -> str:
    """The room's folder name: unguessable without the site's secret, the same in every process."""
    return salted_hmac("lms.classroom.live_hls.folder", str(room_id), algorithm="sha256").hexdigest()[:32]


def room_path(room_id: int) -> Path:
    return Path(settings.LIVE_HLS_ROOT) / room_folder(room_id)


def _secret() -> str:
    return settings.LIVE_HLS_SECRET or salted_hmac("lms.classroom.live_hls.secret", "nginx").hexdigest()


def signature(expires: int, folder: str) -> str:
    """nginx's secure_link_md5 of "<expires><folder> <secret>", base64url without padding."""
    digest = hashlib.md5(f"{int(expires)}{folder} {_secret()}".encode()).digest()  # noqa: S324 (nginx's)
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def link_valid(sig: str, expires: str, folder: str, now: float | None = None) -> bool:
    """Whether a URL's signature is the site's and has not expired (no database query)."""
    if not expires.isdigit() or not FOLDER_NAME.match(folder):
        return False
    if int(expires) < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(sig.encode(), signature(int(expires), folder).encode())


def playlist_url(room_id: int, expires: int) -> str:
    folder = room_folder(room_id)
    return f"{URL_PREFIX}{signature(expires, folder)}/{int(expires)}/{folder}/{PLAYLIST}"


# --- Who watches which way -----------------------------------------------------------------------

WEBRTC, HLS = "webrtc", "hls"


def available() -> bool:
    """Live HLS exists where Janus carries the video and the threshold is not 0."""
    return janus.enabled() and settings.LIVE_HLS_MIN_VIEWERS > 0


def audience(stage: LiveRoom) -> int:
    """People in the big classroom and its sub-classrooms now (open presence), counted at most once
    per AUDIENCE_CACHE_SECONDS for everyone entering together."""
    key = f"live_hls:audience:{stage.pk}"
    found = cache.get(key)
    if found is None:
        found = (
            PresenceInterval.objects.filter(
                Q(room_id=stage.pk) | Q(room__parent_id=stage.pk), ended_at__isnull=True
            )
            .values("user_id")
            .distinct()
            .count()
        )
        cache.set(key, found, AUDIENCE_CACHE_SECONDS)
    return found


def viewer_mode(*, role: str, audience_size: int) -> str:
    """WebRTC for screens (terminals), the teacher and staff; HLS for members once the room is big."""
    if not available() or role != "member":
        return WEBRTC
    return HLS if audience_size >= settings.LIVE_HLS_MIN_VIEWERS else WEBRTC


def client_hls(*, room: LiveRoom, stage: LiveRoom, role: str, now: datetime | None = None) -> dict | None:
    """The `hls` of `welcome`'s `media` (and of the page): the signed playlist URL, whether this
    participant should watch it (`preferred`) and until when the URL holds; None when live HLS is not
    offered to this participant (no Janus, turned off, or not a member)."""
    if not available() or role != "member":
        return None
    now = now or timezone.now()
    ends = batching.trip_memo(  # the same read as the Janus token's (media.client_media)
        ("janus_ends", room.pk, stage.pk),
        lambda: Session.objects.filter(live_room__in={room.pk, stage.pk}).aggregate(last=Max("ends_at"))[
            "last"
        ],
    )
    expires = max(
        now + timedelta(minutes=settings.LIVE_HLS_TOKEN_MINUTES),
        (ends or now) + timedelta(minutes=settings.CLASSROOM_SWEEP_GRACE_MINUTES),
    )
    expires_at = int(expires.timestamp()) // 60 * 60 + 60  # whole minutes: the same URL for a minute
    # The room with this participant in it (whose own presence may not be written yet).
    mode = viewer_mode(role=role, audience_size=audience(stage) + 1)
    return {"url": playlist_url(stage.pk, expires_at), "preferred": mode == HLS, "expires": expires_at}


# --- The supervisor: one ffmpeg per live room with a Janus publisher -------------------------------


def rooms_publishing() -> dict[int, int]:
    """Live big classrooms whose video goes through Janus and has a publisher: room id → Janus feed."""
    rows = LiveRoom.objects.filter(parent__isnull=True, ended_at__isnull=True, media=MediaMode.JANUS).exclude(
        publisher_connection=""
    )
    return {
        room_id: feed_id(connection) for room_id, connection in rows.values_list("pk", "publisher_connection")
    }


def _udp_pair_free(port: int) -> bool:
    sockets = []
    try:
        for each in (port, port + 1):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sockets.append(sock)
            sock.bind(("127.0.0.1", each))
        return True
    except OSError:
        return False
    finally:
        for sock in sockets:
            sock.close()


def free_udp_pair(taken: set[int]) -> int:
    """An even port p with p and p+1 free (RTP and RTCP), not already given to another stream."""
    for _ in range(200):
        port = 2 * (int.from_bytes(os.urandom(2), "big") % 10000) + 40000
        if port not in taken and _udp_pair_free(port):
            return port
    raise OSError("no free UDP ports for live HLS")


def stream_sdp(video_port: int, audio_port: int) -> str:
    return (
        "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=lms live room\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=video {video_port} RTP/AVP {VIDEO_PT}\r\na=rtpmap:{VIDEO_PT} VP8/90000\r\n"
        f"m=audio {audio_port} RTP/AVP {AUDIO_PT}\r\na=rtpmap:{AUDIO_PT} opus/48000/2\r\n"
    )


def ffmpeg_command(
    folder: Path, sdp: Path | None, ffmpeg: str = "ffmpeg", source: list[str] | None = None
) -> list[str]:
    """VP8/Opus RTP in, H.264/AAC HLS out: a keyframe every segment, a sliding playlist of six, old
    segments deleted, segments written under a temporary name and renamed when complete, and a
    restart appending to the playlist (after a discontinuity) instead of starting it again. `source`
    replaces the RTP input (the benchmark's test pattern)."""
    seconds = settings.LIVE_HLS_SEGMENT_SECONDS
    return [
        ffmpeg,
        *("-hide_banner", "-nostdin", "-nostats", "-loglevel", "info"),
        *(source or rtp_input(sdp)),
        *("-map", "0:v:0", "-map", "0:a:0?"),
        *("-vf", "scale=w=854:h=480:force_original_aspect_ratio=decrease:force_divisible_by=2,fps=25"),
        *("-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p"),
        *("-b:v", "800k", "-maxrate", "1000k", "-bufsize", "2000k"),
        *("-force_key_frames", f"expr:gte(t,n_forced*{seconds})", "-sc_threshold", "0"),
        *("-c:a", "aac", "-b:a", "64k", "-ar", "48000", "-ac", "2"),
        *("-f", "hls", "-hls_time", str(seconds), "-hls_list_size", "6"),
        *("-hls_flags", "delete_segments+append_list+discont_start+omit_endlist+temp_file"),
        *("-hls_delete_threshold", "3", "-hls_segment_filename", str(folder / "seg-%d.ts")),
        str(folder / PLAYLIST),
    ]


def rtp_input(sdp: Path) -> list[str]:
    return [
        *("-protocol_whitelist", "file,udp,rtp", "-reorder_queue_size", "500"),
        *("-fflags", "+genpts+discardcorrupt", "-analyzeduration", "5000000", "-probesize", "5000000"),
        *("-i", str(sdp)),
    ]


def _client(room_id: int) -> janus.Client:
    return janus.Client(janus.instance_for(room_id))


def rtp_forward(room_id: int, feed: int, video_port: int, audio_port: int, host: str) -> list[int]:
    """VideoRoom forwards the publisher's first video and first audio stream to the ports (its
    `video_port`/`audio_port` form: no need to learn the streams' mids first); returns the
    forwarders' ids."""
    client = _client(room_id)
    with client.videoroom() as request:
        answer = request(
            {
                "request": "rtp_forward",
                "room": room_id,
                "publisher_id": feed,
                "host": host,
                "host_family": "ipv4",
                "video_port": video_port,
                "video_pt": VIDEO_PT,
                "audio_port": audio_port,
                "audio_pt": AUDIO_PT,
                "secret": client.secret(room_id),
                "admin_key": client.instance.admin_key,
            }
        )
    logger.info("live HLS room %s: Janus forwards %s", room_id, answer)
    found = [each["stream_id"] for each in answer.get("forwarders", []) if "stream_id" in each]
    legacy = answer.get("rtp_stream", {})  # older VideoRoom answers
    return found + [legacy[key] for key in ("audio_stream_id", "video_stream_id") if key in legacy]


def forwarders(room_id: int) -> dict[int, set[int]]:
    """The room's RTP forwarders: publisher feed → stream ids."""
    client = _client(room_id)
    with client.videoroom() as request:
        answer = request({"request": "listforwarders", "room": room_id, "secret": client.secret(room_id)})
    found: dict[int, set[int]] = {}
    logger.debug("live HLS room %s: forwarders %s", room_id, answer)
    for publisher in answer.get("publishers", []):
        ids = found.setdefault(publisher.get("publisher_id"), set())
        for each in publisher.get("forwarders", publisher.get("rtp_forwarder", [])):
            if "stream_id" in each:
                ids.add(each["stream_id"])
    return found


def keyframes_every(room_id: int, seconds: int) -> None:
    """VideoRoom asks the publisher for a keyframe every `seconds` (its `fir_freq`): ffmpeg can start
    decoding at once and after any restart, and each HLS segment can begin on a keyframe."""
    client = _client(room_id)
    try:
        with client.videoroom() as request:
            request(
                {
                    "request": "edit",
                    "room": room_id,
                    "secret": client.secret(room_id),
                    "new_fir_freq": seconds,
                }
            )
    except janus.JanusError as error:
        logger.warning("live HLS room %s: keyframe period not set (%s)", room_id, error)


def stop_rtp_forward(room_id: int, feed: int, stream_ids: list[int]) -> None:
    client = _client(room_id)
    for stream_id in stream_ids:
        client.stop_rtp_forward(room_id, feed, stream_id)


@dataclass
class Stream:
    """One room's ffmpeg and the Janus forwarders feeding it."""

    room_id: int
    feed: int
    folder: Path
    video_port: int
    audio_port: int
    process: subprocess.Popen
    stream_ids: list[int] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)


class Supervisor:
    """Keeps one ffmpeg per live room with a Janus publisher (see the module's docstring). `step()`
    does one round; `run()` loops. One supervisor per LIVE_HLS_ROOT: it holds a lock file."""

    def __init__(
        self,
        *,
        root: Path | None = None,
        ffmpeg: str = "ffmpeg",
        stale_seconds: float = 20,
        keep_minutes: float = 10,
    ):
        self.root = Path(root or settings.LIVE_HLS_ROOT)
        self.ffmpeg = ffmpeg
        self.stale_seconds = stale_seconds  # no new segment this long: ffmpeg starts again
        self.keep_minutes = keep_minutes  # a finished room's folder is removed after this long
        self.streams: dict[int, Stream] = {}
        self.restarts: dict[int, int] = {}
        self._lock = None

    def lock(self) -> None:
        if self._lock is not None:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.root / ".supervisor.lock", "w")  # noqa: SIM115 (held while running)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise RuntimeError(f"another live_hls supervisor is running on {self.root}") from error

    def run(self, interval: float = 1.0, stop=lambda: False) -> None:
        self.lock()
        try:
            while not stop():
                try:
                    self.step()
                except Exception:  # the database or Janus went away for a moment: try again
                    logger.exception("live HLS supervisor round failed")
                time.sleep(interval)
        finally:
            self.stop_all()

    def step(self) -> None:
        wanted = rooms_publishing()
        for room_id in list(self.streams):
            if room_id not in wanted:
                self.stop(room_id)
        for room_id, feed in wanted.items():
            stream = self.streams.get(room_id)
            if stream and stream.feed != feed:  # another publisher (teacher → township, staff…)
                logger.info("live HLS room %s: the publisher changed", room_id)
                self.stop(room_id)
                stream = None
            if stream is None:
                self.start(room_id, feed)
            elif stream.process.poll() is not None:
                logger.warning(
                    "live HLS room %s: ffmpeg exited (%s); starting it again",
                    room_id,
                    stream.process.returncode,
                )
                self.restart(room_id)
            elif self._stale(stream) or not self._forwarded(stream):
                logger.warning("live HLS room %s: no new segment or no forwarder; starting again", room_id)
                self.restart(room_id)
        self.clean()

    def restart(self, room_id: int) -> None:
        stream = self.streams[room_id]
        self.stop(room_id)
        self.restarts[room_id] = self.restarts.get(room_id, 0) + 1
        self.start(room_id, stream.feed)

    def _stale(self, stream: Stream) -> bool:
        if time.monotonic() - stream.started < self.stale_seconds:
            return False
        playlist = stream.folder / PLAYLIST
        try:
            return time.time() - playlist.stat().st_mtime > self.stale_seconds
        except FileNotFoundError:
            return True

    def _forwarded(self, stream: Stream) -> bool:
        """Janus still forwards to this ffmpeg (a publisher that reconnects loses its forwarders)."""
        try:
            listed = forwarders(stream.room_id)
        except janus.JanusError:
            return True  # Janus unreachable: nothing to do about it here; ffmpeg goes stale meanwhile
        if stream.feed not in listed:
            return False
        return (
            not stream.stream_ids
            or not listed[stream.feed]
            or bool(listed[stream.feed] & set(stream.stream_ids))
        )

    def start(self, room_id: int, feed: int) -> Stream | None:
        folder = self.root / room_folder(room_id)
        folder.mkdir(parents=True, exist_ok=True)
        taken = {port for s in self.streams.values() for port in (s.video_port, s.audio_port)}
        video_port = free_udp_pair(taken)
        audio_port = free_udp_pair(taken | {video_port})
        sdp = folder.parent / f".{folder.name}.sdp"  # not served: outside the room's folder
        sdp.write_text(stream_sdp(video_port, audio_port))
        log = open(folder.parent / f".{folder.name}.log", "ab")  # noqa: SIM115 (ffmpeg's, closed by it)
        process = subprocess.Popen(  # noqa: S603 (our arguments)
            ffmpeg_command(folder, sdp, self.ffmpeg),
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        stream = Stream(room_id, feed, folder, video_port, audio_port, process)
        for _ in range(50):  # ffmpeg listens before Janus sends: the first keyframe must not be lost
            if not _udp_pair_free(video_port) or process.poll() is not None:
                break
            time.sleep(0.1)
        try:
            stream.stream_ids = rtp_forward(
                room_id, feed, video_port, audio_port, host=settings.LIVE_HLS_FORWARD_HOST
            )
        except janus.JanusError as error:  # not in Janus yet (the page is still connecting): next round
            level = logging.INFO if error.code == NO_SUCH_FEED else logging.WARNING
            logger.log(level, "live HLS room %s: no forward yet (%s)", room_id, error)
            _terminate(process)
            return None
        keyframes_every(room_id, settings.LIVE_HLS_SEGMENT_SECONDS)
        self.streams[room_id] = stream
        logger.info("live HLS room %s: ffmpeg %s from feed %s", room_id, process.pid, feed)
        return stream

    def stop(self, room_id: int) -> None:
        stream = self.streams.pop(room_id, None)
        if stream is None:
            return
        try:
            stop_rtp_forward(room_id, stream.feed, stream.stream_ids)
        except janus.JanusError:
            logger.info("live HLS room %s: Janus gone; its forwarders went with it", room_id)
        _terminate(stream.process)

    def stop_all(self) -> None:
        for room_id in list(self.streams):
            self.stop(room_id)

    def clean(self) -> None:
        """Remove the folders (and their files) of rooms no longer streamed, some minutes after."""
        if not self.root.exists():
            return
        live = {room_folder(room_id) for room_id in self.streams}
        limit = time.time() - self.keep_minutes * 60
        for entry in self.root.iterdir():
            name = entry.name.lstrip(".").split(".")[0]
            if name in live or not FOLDER_NAME.match(name):
                continue
            try:
                if entry.stat().st_mtime < limit:
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            except FileNotFoundError:
                continue


def _terminate(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)  # ffmpeg finishes its segment and playlist
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def with_hls(media: dict, *, room: LiveRoom, stage: LiveRoom, role: str) -> dict:
    """`welcome`'s `media` with `hls` ({url, preferred, expires}) added when Janus carries the video
    and live HLS is offered to this participant (see client_hls)."""
    if media.get("mode") != MediaMode.JANUS.value or "error" in media:
        return media
    offer = client_hls(room=room, stage=stage, role=role)
    return {**media, "hls": offer} if offer else media

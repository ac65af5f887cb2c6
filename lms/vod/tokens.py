"""Signed, short-lived addresses of a video's HLS files: /vod/<token>/<folder>/<file>.

The token says until when (a Unix time) and is an HMAC of the folder and that time, so a request for
a playlist or a segment is checked by its signature alone, with no database query; the player fetches
the renditions and segments relative to the master playlist and so carries the token along."""

import re
import time

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "lms.vod.playlist"
TOKEN = re.compile(r"^(?P<until>\d{1,12})-(?P<signature>[0-9a-f]{32})$")


def _signature(folder: str, until: int) -> str:
    return salted_hmac(SALT, f"{folder}:{until}", algorithm="sha256").hexdigest()[:32]


def token_make(folder: str, *, seconds: float) -> str:
    until = int(time.time() + seconds)
    return f"{until}-{_signature(folder, until)}"


def token_valid(token: str, folder: str) -> bool:
    """Whether the token was signed for this folder and has not expired."""
    match = TOKEN.match(token or "")
    if match is None:
        return False
    until = int(match["until"])
    return until >= time.time() and constant_time_compare(match["signature"], _signature(folder, until))


def lifetime(duration: float | None) -> float:
    """How long a URL handed to a player lives: VOD_URL_SECONDS past the end of the video watched
    from the start at normal speed."""
    return settings.VOD_URL_SECONDS + (duration or 0)

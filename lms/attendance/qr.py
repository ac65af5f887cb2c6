"""Rotating sign-in codes for the venue's QR.

A code names a session and a time window (`ATTENDANCE_QR_SECONDS` long) and carries an HMAC
signature (Django's signing, keyed by SECRET_KEY). It is accepted in its own window and the one
before, so a code scanned just before the screen changes still works, while a photo of the screen
sent to a friend stops working within two windows.
"""

import time

from django.conf import settings
from django.core import signing

SALT = "lms.attendance.qr"


class CodeRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "forged" or "expired"


def current_window(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // settings.ATTENDANCE_QR_SECONDS)


def code_for(session_id: int, at: float | None = None) -> str:
    return signing.Signer(salt=SALT).sign(f"{session_id}.{current_window(at)}")


def seconds_left(at: float | None = None) -> float:
    now = time.time() if at is None else at
    return settings.ATTENDANCE_QR_SECONDS - (now % settings.ATTENDANCE_QR_SECONDS)


def read_code(code: str, at: float | None = None) -> int:
    """The session id in a valid, current code; CodeRefused otherwise."""
    try:
        value = signing.Signer(salt=SALT).unsign(str(code or "").strip())
        session_id, window = (int(part) for part in value.split("."))
    except (signing.BadSignature, ValueError):
        raise CodeRefused("forged") from None
    if current_window(at) - window not in (0, 1):
        raise CodeRefused("expired")
    return session_id

"""The uploaded member list kept between the import page's dry run and its "import the good rows".

The file's bytes wait in the cache (Redis in production, shared by every worker; never under
MEDIA_ROOT, which the web server publishes) for `UPLOAD_MINUTES`. The form carries a signed token
naming the upload, its owner and the file's SHA-256, so the confirm step imports exactly the file that
was previewed, only for the user who uploaded it, and only until it expires.
"""

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core import signing
from django.core.cache import cache
from django.utils.translation import gettext as _

UPLOAD_MINUTES = 30
IMPORT_LOCK_SECONDS = 10 * 60  # longer than the largest import takes
_SALT = "lms.people.member-import"


class UploadUnavailable(Exception):
    """The token does not lead to an upload of this user's that may still be imported."""


@dataclass(frozen=True)
class KeptUpload:
    id: str
    filename: str
    data: bytes


def _key(upload_id: str) -> str:
    return f"people:member-import:{upload_id}"


def upload_keep(*, user, filename: str, data: bytes) -> str:
    """Keep the file for the confirm step; returns the token for the form."""
    upload_id = secrets.token_urlsafe(18)
    digest = hashlib.sha256(data).hexdigest()
    cache.set(
        _key(upload_id),
        {"user": user.pk, "filename": filename, "data": data, "sha256": digest},
        timeout=UPLOAD_MINUTES * 60,
    )
    return signing.dumps({"id": upload_id, "user": user.pk, "sha256": digest}, salt=_SALT)


def upload_for(token: str, *, user) -> KeptUpload:
    """The upload a token names, if it is this user's, unexpired and unchanged."""
    expired = UploadUnavailable(_("This upload has expired; please upload the file again."))
    try:
        payload = signing.loads(token, salt=_SALT, max_age=UPLOAD_MINUTES * 60)
    except signing.SignatureExpired:
        raise expired from None
    except signing.BadSignature:
        raise UploadUnavailable(_("This upload is not valid; please upload the file again.")) from None
    if payload.get("user") != user.pk:
        raise UploadUnavailable(_("This upload belongs to another user; please upload the file yourself."))
    stored = cache.get(_key(payload["id"]))
    if stored is None:
        raise expired
    if (
        stored["user"] != user.pk
        or stored["sha256"] != payload["sha256"]
        or hashlib.sha256(stored["data"]).hexdigest() != payload["sha256"]
    ):
        raise UploadUnavailable(_("This upload is not valid; please upload the file again."))
    return KeptUpload(payload["id"], stored["filename"], stored["data"])


@contextmanager
def import_running(upload: KeptUpload) -> Iterator[bool]:
    """True for the one request that may import this upload now (a double click gets False)."""
    key = f"{_key(upload.id)}:running"
    acquired = cache.add(key, True, timeout=IMPORT_LOCK_SECONDS)
    try:
        yield acquired
    finally:
        if acquired:
            cache.delete(key)

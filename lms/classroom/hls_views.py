"""Live HLS files in development (nginx serves them in production, deploy/nginx.conf): the same
check as nginx's secure_link (the URL's signature and expiry, live_hls.link_valid), no session and
no database query per playlist or segment."""

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponseForbidden
from django.views.decorators.http import require_GET

from lms.classroom import live_hls

CONTENT_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t"}


@require_GET
def live_hls_file(request, signature: str, expires: str, folder: str, name: str):
    if not live_hls.link_valid(signature, expires, folder):
        return HttpResponseForbidden("expired or not signed", content_type="text/plain")
    if not live_hls.FILE_NAME.match(name):
        raise Http404
    path = settings.LIVE_HLS_ROOT / folder / name
    try:
        handle = path.open("rb")
    except (FileNotFoundError, IsADirectoryError) as missing:
        raise Http404 from missing
    response = FileResponse(handle, content_type=CONTENT_TYPES[path.suffix])
    # The playlist changes every segment; a segment never changes.
    response["Cache-Control"] = "no-cache" if name == live_hls.PLAYLIST else "private, max-age=60"
    return response

"""The HLS files of a video, for a player holding a signed URL (lms.vod.selectors.playlist_url).

Checked by the token's signature alone (no database query per segment). Django sends the file in
development; with VOD_ACCEL_REDIRECT (production behind deploy/nginx.conf) the answer is an
X-Accel-Redirect to VOD_ACCEL_REDIRECT_PREFIX, an nginx `internal` location, and nginx sends it."""

from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from lms.files.accel import AccelRedirectResponse
from lms.vod import storage, tokens


@require_safe
def vod_file(request, token: str, folder: str, name: str):
    if not tokens.token_valid(token, folder):
        raise Http404("No such file.")
    path = storage.served_file(folder, name)
    if path is None:
        raise Http404("No such file.")
    content_type = storage.CONTENT_TYPES[path.suffix]
    if settings.VOD_ACCEL_REDIRECT:
        response = AccelRedirectResponse(content_type=content_type)
        relative = path.relative_to(storage.folder_path(folder).parent).as_posix()
        response["X-Accel-Redirect"] = quote(settings.VOD_ACCEL_REDIRECT_PREFIX + relative)
    else:
        response = FileResponse(path.open("rb"), content_type=content_type)
    # Playlists and segments never change once written; the URL itself expires.
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response

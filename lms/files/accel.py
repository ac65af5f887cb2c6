"""A sendfile backend for nginx: the app decides, nginx sends the file.

Wagtail's document view (and the media gate) call `sendfile(request, filename)` once they have
checked who asks (settings.SENDFILE_BACKEND = "lms.files.accel"). The answer carries no body, only
`X-Accel-Redirect: <FILES_ACCEL_REDIRECT_PREFIX><path under MEDIA_ROOT>`; nginx serves that path
from an `internal` location (deploy/nginx.conf), which no browser can ask for directly.
"""

from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpResponse


class AccelRedirectResponse(HttpResponse):
    """An empty answer that nginx replaces with the file. It must not announce the file's length
    (Wagtail's sendfile sets Content-Length afterwards): the ASGI server would refuse an answer
    shorter than announced; nginx sets the real length itself."""

    def __setitem__(self, header, value):
        if header.lower() == "content-length":
            return
        super().__setitem__(header, value)


def sendfile(request, filename, **kwargs):
    media_root = Path(settings.MEDIA_ROOT).resolve()
    try:
        relative = Path(filename).resolve().relative_to(media_root)
    except ValueError:
        raise Http404("Not a media file.") from None
    response = AccelRedirectResponse()
    response["X-Accel-Redirect"] = quote(settings.FILES_ACCEL_REDIRECT_PREFIX + relative.as_posix())
    return response

"""The media gate: every URL under MEDIA_URL comes here, never straight from the disk.

Images (originals and renditions) are sent when the request may see the image's collection; anything
else, documents included (they are served only by /documents/<id>/<name>, Wagtail's view with its
collection check), answers 404, as does an image the request may not see, so a URL tells nothing.
"""

import mimetypes
from pathlib import Path

from django.conf import settings
from django.http import Http404
from django.utils._os import safe_join
from django.views.decorators.http import require_safe
from wagtail.utils import sendfile_streaming_backend
from wagtail.utils.sendfile import sendfile

from lms.files import accel
from lms.files.selectors import collection_restrictions, image_for_media_path, restrictions_pass


@require_safe
def media(request, path: str):
    image = image_for_media_path(path)
    restrictions = collection_restrictions(image.collection) if image else []
    if image is None or not restrictions_pass(request, restrictions):
        raise Http404("No such file.")
    try:
        filename = Path(safe_join(settings.MEDIA_ROOT, path))
    except ValueError:
        raise Http404("No such file.") from None
    backend = accel.sendfile if settings.FILES_ACCEL_REDIRECT else sendfile_streaming_backend.sendfile
    mimetype = mimetypes.guess_type(filename.name)[0] or "application/octet-stream"
    response = sendfile(request, str(filename), attachment=False, mimetype=mimetype, backend=backend)
    if response.status_code == 200:
        # A public image may sit in shared caches; a restricted one only in the asker's browser.
        response["Cache-Control"] = "private, max-age=3600" if restrictions else "public, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
    return response

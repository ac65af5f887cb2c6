"""File names nobody can guess, and the static files' URLs worked out once.

Wagtail stores originals as `original_images/<upload name>`, renditions as `images/<upload name>.<filter>`
and documents as `documents/<upload name>`: knowing a file's name was enough to ask for it. This
storage puts each new file of those folders in a folder of its own named by 20 random hex characters
(80 bits), e.g. `images/3f9c…/photo.width-800.webp`. A document keeps its own name (the download
link and the saved file still read `handout.pdf`).
"""

import posixpath
import secrets

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage

RANDOMISED_FOLDERS = ("original_images", "images", "documents")


class UnguessableNamesStorage(FileSystemStorage):
    def generate_filename(self, filename):
        filename = super().generate_filename(filename)
        folder, name = posixpath.split(filename)
        if folder in RANDOMISED_FOLDERS:
            return posixpath.join(folder, secrets.token_hex(10), name)
        return filename


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Production's static files (hashed names, compressed copies), each URL worked out once per
    process: the manifest is read when the storage is made and does not change until the process
    restarts, and working a URL out again cost 0.1 ms per `{% static %}`, five on every page.
    STATIC_COMPRESS=0 collects without the gzip and Brotli copies (the fault tests' servers: compressing
    Wagtail's admin files took most of a minute of CPU, and no fault test reads them)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        try:
            return self._urls[name]
        except KeyError:
            url = self._urls[name] = super().url(name)
            return url

    def post_process(self, *args, **kwargs):
        self._urls.clear()  # collectstatic is writing a new manifest
        if settings.STATIC_COMPRESS:
            yield from super().post_process(*args, **kwargs)
        else:  # hashed names and the manifest only (whitenoise serves the files uncompressed)
            yield from ManifestStaticFilesStorage.post_process(self, *args, **kwargs)

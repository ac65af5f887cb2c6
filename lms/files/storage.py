"""File names nobody can guess.

Wagtail stores originals as `original_images/<upload name>`, renditions as `images/<upload name>.<filter>`
and documents as `documents/<upload name>`: knowing a file's name was enough to ask for it. This
storage puts each new file of those folders in a folder of its own named by 20 random hex characters
(80 bits), e.g. `images/3f9c…/photo.width-800.webp`. A document keeps its own name (the download
link and the saved file still read `handout.pdf`).
"""

import posixpath
import secrets

from django.core.files.storage import FileSystemStorage

RANDOMISED_FOLDERS = ("original_images", "images", "documents")


class UnguessableNamesStorage(FileSystemStorage):
    def generate_filename(self, filename):
        filename = super().generate_filename(filename)
        folder, name = posixpath.split(filename)
        if folder in RANDOMISED_FOLDERS:
            return posixpath.join(folder, secrets.token_hex(10), name)
        return filename

"""A public and a restricted document and image of township A, and every role that may ask for them."""

import hashlib
import io
import os

import pytest
from django.core.files.base import ContentFile
from PIL import Image as PillowImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from lms.files.services import school_files_ensure

Document = get_document_model()
Image = get_image_model()

ROLES = ("anonymous", "member_a", "member_b", "staff_a", "staff_b", "city_staff", "org")
# Who may see township A's restricted files: its staff, the city school's, the organization department.
READERS_OF_RESTRICTED = {"staff_a", "city_staff", "org"}
# Who may manage (list in the admin, choose, change) any of township A's files.
MANAGERS = {"staff_a", "city_staff", "org"}
ADMIN_USERS = {"staff_a", "staff_b", "city_staff", "org"}


def png_bytes() -> bytes:
    """A picture of random noise: Wagtail caches renditions under the image's id and content hash, and
    ids come back after a rollback, so every test's picture must differ from every earlier one's."""
    buffer = io.BytesIO()
    PillowImage.frombytes("RGB", (40, 30), os.urandom(40 * 30 * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def image_create(*, title: str, collection, name: str):
    data = png_bytes()
    return Image.objects.create(
        title=title,
        collection=collection,
        file=ContentFile(data, name=name),
        file_hash=hashlib.sha1(data).hexdigest(),
    )


@pytest.fixture
def files(county):
    restricted, public = school_files_ensure(county["town_a"])
    made = {
        "public_document": Document.objects.create(
            title="甲镇公开讲义", collection=public, file=ContentFile(b"public handout", name="handout.txt")
        ),
        "restricted_document": Document.objects.create(
            title="甲镇内部名单", collection=restricted, file=ContentFile(b"phone list", name="roster.txt")
        ),
        "public_image": image_create(title="甲镇校舍照片", collection=public, name="school.png"),
        "restricted_image": image_create(title="甲镇党员照片", collection=restricted, name="member.png"),
    }
    for key in ("public_image", "restricted_image"):
        made[key].get_rendition("width-20")
    return made


@pytest.fixture
def as_role(client, county):
    """`as_role(role)` signs the test client in as that role (or out, for "anonymous")."""

    def sign_in(role: str):
        client.logout()
        if role != "anonymous":
            client.force_login(county[role].user if role.startswith("member") else county[role])
        return client

    return sign_in

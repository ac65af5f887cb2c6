"""Stored names nobody can guess, nginx's X-Accel-Redirect answers, and the deploy config that serves
nothing from the media folder by URL."""

import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.utils import sendfile as wagtail_sendfile

from tests.files.conftest import image_create

Document = get_document_model()
ROOT = Path(__file__).resolve().parents[2]
TOKEN_FOLDER = r"[0-9a-f]{20}"


def test_stored_names_have_a_random_folder(files):
    assert re.fullmatch(rf"documents/{TOKEN_FOLDER}/roster\.txt", files["restricted_document"].file.name)
    image = files["restricted_image"]
    assert re.fullmatch(rf"original_images/{TOKEN_FOLDER}/member\.png", image.file.name)
    rendition = image.get_rendition("width-20")
    assert re.fullmatch(rf"images/{TOKEN_FOLDER}/member\.width-20\.png", rendition.file.name)
    # A rendition's folder is its own: knowing the original's name does not give the rendition's.
    assert rendition.file.name.split("/")[1] != image.file.name.split("/")[1]
    # A document keeps its own name for the download link and the saved file.
    assert files["restricted_document"].url.endswith("/roster.txt")


def test_same_name_uploaded_twice_gets_two_folders(files):
    collection = files["public_document"].collection
    first, second = (
        Document.objects.create(title=f"讲义{n}", collection=collection, file=ContentFile(b"x", name="a.txt"))
        for n in (1, 2)
    )
    assert first.file.name != second.file.name
    assert first.filename == second.filename == "a.txt"


def test_long_names_keep_the_random_folder(files):
    image = image_create(
        title="长名", collection=files["public_image"].collection, name="照" * 30 + "x" * 90 + ".png"
    )
    assert len(image.file.name) <= 100
    assert re.match(rf"original_images/{TOKEN_FOLDER}/", image.file.name)
    rendition = image.get_rendition("fill-20x20-c100|format-webp")
    assert len(rendition.file.name) <= 255
    assert re.match(rf"images/{TOKEN_FOLDER}/", rendition.file.name)


@pytest.fixture
def accel(settings):
    """Production's answer: the app checks, nginx sends (settings as with FILES_ACCEL_REDIRECT=1)."""
    settings.FILES_ACCEL_REDIRECT = True
    settings.SENDFILE_BACKEND = "lms.files.accel"
    wagtail_sendfile._get_sendfile.clear()
    yield settings.FILES_ACCEL_REDIRECT_PREFIX
    wagtail_sendfile._get_sendfile.clear()


def test_accel_redirect_for_readers_only(files, as_role, accel):
    document, image = files["restricted_document"], files["restricted_image"]
    rendition = image.get_rendition("width-20")
    client = as_role("staff_a")
    for url, stored in (
        (document.url, document.file),
        (image.file.url, image.file),
        (rendition.url, rendition.file),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["X-Accel-Redirect"] == f"{accel}{stored.name}"
        assert response.content == b""
        # An empty answer announcing the file's length would be cut off by the ASGI server.
        assert response.get("Content-Length", "0") == "0"
    assert client.get(document.url)["Content-Disposition"].endswith('filename="roster.txt"')
    client = as_role("staff_b")
    for url in (document.url, image.file.url, rendition.url):
        response = client.get(url)
        assert response.status_code == 404
        assert not response.has_header("X-Accel-Redirect")


def test_accel_redirect_names_are_url_quoted(files, as_role, accel):
    image = image_create(title="中文名", collection=files["public_image"].collection, name="校舍 照片.png")
    response = as_role("anonymous").get(image.file.url)
    assert response.status_code == 200
    assert " " not in response["X-Accel-Redirect"]
    assert response["X-Accel-Redirect"].startswith(accel + "original_images/")


def test_nginx_serves_media_only_after_the_app(settings):
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    locations = dict(re.findall(r"location\s+(\S+)\s*\{(.*?)\}", config, flags=re.S))
    for prefix, body in locations.items():
        if "/srv/lms/media" in body:
            assert prefix == settings.FILES_ACCEL_REDIRECT_PREFIX
            assert re.search(r"^\s*internal;", body, flags=re.M), "the media location must be internal"
    assert settings.FILES_ACCEL_REDIRECT_PREFIX in locations
    assert "/media/" not in locations

"""Every role × township A's public and restricted document and image, by every URL that reaches them:
Wagtail's document view, the media URL of each stored file, the admin API, the admin listings and
the choosers (issue 14 §2)."""

import pytest

from tests.files.conftest import ADMIN_USERS, MANAGERS, READERS_OF_RESTRICTED, ROLES

FILE_KEYS = ("public_document", "restricted_document", "public_image", "restricted_image")


def may_see(role: str, key: str) -> bool:
    return key.startswith("public") or role in READERS_OF_RESTRICTED


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def stored_bytes(field_file) -> bytes:
    with field_file.open("rb") as handle:
        return handle.read()


@pytest.mark.parametrize("role", ROLES)
def test_document_view(role, files, as_role):
    client = as_role(role)
    for key in ("public_document", "restricted_document"):
        document = files[key]
        response = client.get(document.url)
        if may_see(role, key):
            assert response.status_code == 200, (role, key)
            assert content(response) == stored_bytes(document.file)
        elif role == "anonymous":
            assert response.status_code == 302, key
            assert response["Location"].startswith("/login/")
        else:
            assert response.status_code == 404, (role, key)


@pytest.mark.parametrize("role", ROLES)
def test_documents_never_served_by_media_url(role, files, as_role):
    """Not even to those who may read them: documents go only through the checked view."""
    client = as_role(role)
    for key in ("public_document", "restricted_document"):
        name = files[key].file.name
        assert name.startswith("documents/")
        assert client.get(f"/media/{name}").status_code == 404, (role, key)


@pytest.mark.parametrize("role", ROLES)
def test_image_original_and_rendition(role, files, as_role):
    client = as_role(role)
    for key in ("public_image", "restricted_image"):
        image = files[key]
        rendition = image.get_rendition("width-20")
        for stored in (image.file, rendition.file):
            response = client.get(stored.url)
            if may_see(role, key):
                assert response.status_code == 200, (role, key, stored.name)
                assert content(response) == stored_bytes(stored)
                expected_cache = "public" if key.startswith("public") else "private"
                assert response["Cache-Control"].startswith(expected_cache)
            else:
                assert response.status_code == 404, (role, key, stored.name)


@pytest.mark.parametrize("role", ROLES)
def test_admin_api_lists_and_shows_only_visible_files(role, files, as_role):
    client = as_role(role)
    for kind, keys in (
        ("documents", ("public_document", "restricted_document")),
        ("images", ("public_image", "restricted_image")),
    ):
        listing = client.get(f"/admin/api/main/{kind}/")
        if role not in ADMIN_USERS:
            assert listing.status_code in (302, 403), (role, kind)
            for key in keys:
                assert client.get(f"/admin/api/main/{kind}/{files[key].pk}/").status_code in (302, 403)
            continue
        assert listing.status_code == 200
        listed = {item["id"] for item in listing.json()["items"]}
        assert listing.json()["meta"]["total_count"] == len(listed)
        for key in keys:
            assert (files[key].pk in listed) == may_see(role, key), (role, key)
            detail = client.get(f"/admin/api/main/{kind}/{files[key].pk}/")
            assert detail.status_code == (200 if may_see(role, key) else 404), (role, key)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "url",
    ["/admin/documents/", "/admin/documents/chooser/", "/admin/images/", "/admin/images/chooser/"],
)
def test_admin_listings_and_choosers(role, url, files, as_role):
    """Listings and choosers show what the user may manage: township A's staff, the city school and
    the organization department see both of A's files; township B's staff neither, public or not."""
    client = as_role(role)
    response = client.get(url)
    if role not in ADMIN_USERS:
        assert response.status_code in (302, 403)
        return
    assert response.status_code == 200
    page = response.json()["html"] if "chooser" in url else response.content.decode()
    kind = "document" if "documents" in url else "image"
    for key in (f"public_{kind}", f"restricted_{kind}"):
        assert (files[key].title in page) == (role in MANAGERS), (role, url, key)

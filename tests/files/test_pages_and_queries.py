"""Public pages still show their public photos to anyone; the gate's and the admin API's cost does not
grow with the number of schools."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from tests import factories


def test_public_school_page_shows_public_photos_to_anyone(files, county, as_role):
    """A photo from the public collection shows on the school's page; one from the restricted collection
    put on a public page stays hidden from visitors (they see a broken image, not the file)."""
    site = Site.objects.get(is_default_site=True)
    site.root_page = county["city"]
    site.save()
    page = county["town_a"]
    page.photos = [
        ("photo", {"image": files["public_image"], "caption": "校舍"}),
        ("photo", {"image": files["restricted_image"], "caption": "党员"}),
    ]
    page.save_revision().publish()
    client = as_role("anonymous")
    html = client.get(page.url).content.decode()
    sources = re.findall(r'<img[^>]+src="([^"]+)"', html)
    assert len(sources) == 2
    public_src, restricted_src = sources
    assert client.get(public_src).status_code == 200
    assert client.get(restricted_src).status_code == 404
    assert as_role("staff_a").get(restricted_src).status_code == 200


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def test_costs_do_not_grow_with_schools(files, as_role, county):
    client = as_role("staff_a")
    image = files["restricted_image"]
    urls = [
        "/admin/api/main/documents/",
        "/admin/api/main/images/",
        image.file.url,
        image.get_rendition("width-20").url,
        files["restricted_document"].url,
    ]
    for url in urls:  # the first listing of images makes their thumbnails
        client.get(url)
    before = [queries(client, url) for url in urls]
    for _ in range(6):
        factories.staff_user(factories.township_school(county["city"]))
    client = as_role("staff_a")
    after = [queries(client, url) for url in urls]
    assert after == before
    # An image: session, user, image (or rendition) with its collection, restrictions, their groups,
    # the user's groups. A document also goes through Wagtail's own restriction check.
    assert max(before[2:4]) <= 6
    assert before[4] <= 10

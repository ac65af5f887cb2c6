"""A teaching point with an online hall: two exhibits, a ready video, an audio guide."""

import json

from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.models import Site

from lms.files.services import school_files_ensure
from tests.courses.learning_helpers import ready_video
from tests.files.conftest import image_create

Document = get_document_model()


def hall_fill(point, *, audio_private: bool = False):
    restricted, public = school_files_ensure(point.get_parent().specific)
    photos = [image_create(title=f"展品{n}", collection=public, name=f"exhibit{n}.png") for n in range(2)]
    point.hall_intro = "<p>红色教育展厅</p>"
    point.hall_photos = json.dumps(
        [
            {
                "type": "photo",
                "value": {
                    "image": {"image": photo.pk, "alt_text": photo.title, "decorative": False},
                    "caption": photo.title,
                },
            }
            for photo in photos
        ]
    )
    point.hall_video = ready_video(point.get_parent().specific, title="展厅导览视频")
    point.hall_audio = Document.objects.create(
        title="语音导览",
        collection=restricted if audio_private else public,
        file=ContentFile(b"ID3\x03\x00\x00\x00\x00\x00\x00", name="guide.mp3"),
    )
    point.save_revision().publish()
    point.refresh_from_db()
    return point


def site_at(city) -> None:
    """Serve the county's pages at the site's root, so that their `url` is a path."""
    site = Site.objects.get(is_default_site=True)
    site.root_page = city
    site.save()
    Site.clear_site_root_paths_cache()

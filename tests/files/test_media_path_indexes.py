"""The media gate looks images up by stored file name: both tables have an index on it."""

import pytest
from django.db import connection
from wagtail.images import get_image_model

pytestmark = pytest.mark.django_db

Image = get_image_model()


@pytest.mark.parametrize("model", [Image, Image.get_rendition_model()], ids=["image", "rendition"])
def test_the_stored_file_name_is_indexed(model):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    assert any(c["index"] and c["columns"] == ["file"] for c in constraints.values()), constraints

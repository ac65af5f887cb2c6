"""Indexes on the stored file names of Wagtail's images and renditions.

The media gate (lms/files/views.py) finds the image behind every /media/ request by the file name it
asks for; without an index each image on a page scanned the renditions table, which grows with every
size of every picture ever shown. Wagtail's models are not ours to change, so the indexes are made
here, by name, on both databases."""

from django.db import migrations

INDEXES = [
    ("lms_files_image_file_idx", "wagtailimages_image"),
    ("lms_files_rendition_file_idx", "wagtailimages_rendition"),
]


class Migration(migrations.Migration):
    dependencies = [("wagtailimages", "0027_image_description")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} (file)",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, table in INDEXES
    ]

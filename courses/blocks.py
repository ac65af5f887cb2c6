"""StreamField blocks shared by the school and course pages."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock


class PhotoBlock(blocks.StructBlock):
    image = ImageBlock(label=_("Photo"))
    caption = blocks.CharBlock(required=False, max_length=200, label=_("Caption"))

    class Meta:
        icon = "image"
        template = "courses/blocks/photo.html"


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    title = blocks.CharBlock(required=False, max_length=200, label=_("Title shown"))

    class Meta:
        icon = "doc-full"
        template = "courses/blocks/document.html"


class CourseBodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(form_classname="title", icon="title", label=_("Heading"))
    paragraph = blocks.RichTextBlock(label=_("Paragraph"))
    photo = PhotoBlock(label=_("Photo"))
    document = DocumentBlock(label=_("Document"))
    quote = blocks.BlockQuoteBlock(label=_("Quote"))


class PhotoStreamBlock(blocks.StreamBlock):
    photo = PhotoBlock(label=_("Photo"))

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VodConfig(AppConfig):
    """Video on demand (点播): uploaded videos and session recordings, transcoded by the worker into HLS
    renditions with a poster, and served to those allowed to watch them."""

    name = "lms.vod"
    label = "vod"
    verbose_name = _("Videos")

"""The bell with the unread count, in the top bar of every page (`{% site_header %}`, base.html)."""

import functools

from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from lms.notifications.selectors import unread_count


def bell_html(user) -> str:
    """The bell for a signed-in user, with their unread count."""
    return _bell(get_language(), unread_count(user))


@functools.lru_cache(maxsize=512)
def _bell(language: str, unread: int) -> SafeString:
    # Its markup depends only on the count and the language (the key), so each is rendered once per
    # process; a busy member's count grows one by one, and the cache keeps the 512 latest.
    return render_to_string("notifications/bell.html", {"show": True, "unread": unread})

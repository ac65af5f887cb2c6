"""The member's make-up (补学) and videos to continue, for the home and classes pages."""

from django import template

from lms.learning import selectors
from lms.people.selectors import member_profile

register = template.Library()


@register.inclusion_tag("learning/makeup_card.html", takes_context=True)
def learning_makeup(context, with_continue: bool = False):
    """The recordings the member can make up (补学), and with `with_continue` the videos to go on with."""
    user = context["request"].user
    member = context.get("member") or member_profile(user)
    owed = selectors.makeup_for_card(member) if member else []
    progress = selectors.progress_by_video(member, [video.pk for video in owed])
    for video in owed:
        found = progress.get(video.pk)
        video.share_percent = (
            int(100 * found.watched_seconds / video.duration) if found and video.duration else 0
        )
    return {
        "owed": owed,
        "to_continue": selectors.continue_watching(member, limit=3) if member and with_continue else [],
    }

"""Member pages of lms.learning: watching a video (the player resumes where the member left off on any
device and reports what was actually played)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from lms.learning import selectors, services
from lms.people.selectors import member_profile
from lms.vod import selectors as vod
from lms.vod.models import Video


@login_required
@require_GET
def watch(request, pk: int):
    """观看: the video with its player. Opening it makes this the member's one viewing that counts."""
    video = get_object_or_404(Video.objects.select_related("session__training_class", "school"), pk=pk)
    if not vod.can_watch(request.user, video):
        raise PermissionDenied(_("You may not watch this video."))
    member = member_profile(request.user)
    progress = selectors.progress_for(member, video)
    token = ""
    if member is not None:
        _viewing, token = services.viewing_start(member=member, video=video)
    seconds = video.duration or 0
    share = min(progress.watched_seconds / seconds, 1.0) if progress and seconds else 0.0
    year_rule = selectors.study_rule(_year(), member.category) if member else None
    response = render(
        request,
        "learning/watch.html",
        {
            "video": video,
            "member": member,
            "hls_url": vod.playlist_url(video, request.user),
            "poster_url": vod.poster_url(video, request.user),
            "position": progress.position if progress else 0,
            "share_percent": int(share * 100),
            "completed": bool(progress and progress.completed_at),
            "required_percent": year_rule.share if year_rule else None,
            "makeup": bool(member and selectors.is_makeup_owed(member, video)),
            "viewing_id": token,
            "heartbeat_seconds": services.HEARTBEAT_SECONDS,
            "max_rate": services.MAX_RATE,
        },
    )
    response["Cache-Control"] = "no-store"  # a reload gets a fresh viewing and position
    return response


def _year() -> int:
    from django.utils import timezone

    return timezone.localdate().year

"""API routes of lms.learning under /api/v1/: my learning (videos to continue, make-up owed), a video
to play (HLS URL, resume position, a viewing to report to), and the viewing's heartbeats."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from lms.learning import selectors, services
from lms.people.api import Message
from lms.people.selectors import member_profile
from lms.vod import selectors as vod
from lms.vod.models import Video

router = Router(tags=["learning"])


class VideoItemOut(Schema):
    id: int
    title: str
    duration: float
    position: float
    share: float
    completed: bool
    session_id: int | None = None


class LearningOut(Schema):
    to_continue: list[VideoItemOut]
    makeup_owed: list[VideoItemOut]


class VideoOut(Schema):
    id: int
    title: str
    description: str
    duration: float
    hls_url: str
    poster_url: str
    position: float = Field(..., description="Where the member left off (seconds), on any device")
    share: float = Field(..., description="Share of the video's seconds actually watched (0 to 1)")
    completed: bool
    makeup: bool = Field(..., description="Watching it makes up a missed session (补学)")
    viewing_id: str | None = Field(None, description="Only with ?start=true: the signed viewing to report to")
    heartbeat_url: str | None = None
    heartbeat_seconds: int = services.HEARTBEAT_SECONDS
    max_rate: float = services.MAX_RATE


class HeartbeatIn(Schema):
    intervals: list[tuple[float, float]] = Field(
        ...,
        max_length=services.MAX_INTERVALS,
        description="[start, end] seconds played since the last heartbeat",
    )
    position: float | None = Field(None, ge=0, description="The playhead (seconds)")


class HeartbeatOut(Schema):
    credited_seconds: int
    watched_seconds: int
    share: float
    completed: bool
    made_up: bool
    refused_seconds: float


class RefusalOut(Schema):
    detail: str
    reason: str


class BusyOut(Schema):
    detail: str
    code: str = Field(..., description='"busy": send the same intervals again after Retry-After seconds')


def _member(request):
    member = member_profile(request.user)
    if member is None:
        raise PermissionDenied(_("Only party members study online."))
    return member


def _item(video: Video, progress) -> dict:
    seconds = video.duration or 0
    watched = progress.watched_seconds if progress else 0
    return {
        "id": video.pk,
        "title": video.title,
        "duration": seconds,
        "position": progress.position if progress else 0.0,
        "share": round(min(watched / seconds, 1.0), 4) if seconds else 0.0,
        "completed": bool(progress and progress.completed_at),
        "session_id": video.session_id,
    }


@router.get("/me/learning", response={200: LearningOut, 403: Message}, summary="My online learning")
def my_learning(request):
    """Videos I started and have not finished (latest first), and the recordings of sessions I missed
    that I can make up (补学)."""
    member = _member(request)
    owed = list(selectors.makeup_owed(member)[:50])
    progress = selectors.progress_by_video(member, [video.pk for video in owed])
    return {
        "to_continue": [_item(p.video, p) for p in selectors.continue_watching(member, limit=10)],
        "makeup_owed": [_item(video, progress.get(video.pk)) for video in owed],
    }


@router.get(
    "/videos/{video_id}",
    response={200: VideoOut, 403: Message, 404: Message},
    summary="A video to play: its HLS URL and where I left off",
)
def video_detail(request, video_id: int, start: bool = False):
    """With `start=true` it also opens my viewing of the video (any other tab or device stops being
    credited) and gives its signed id for the heartbeats."""
    video = get_object_or_404(Video.objects.select_related("session"), pk=video_id)
    if not vod.can_watch(request.user, video):
        raise PermissionDenied(_("You may not watch this video."))
    member = member_profile(request.user)
    progress = selectors.progress_for(member, video)
    payload = {
        **_item(video, progress),
        "description": video.description,
        "hls_url": vod.playlist_url(video, request.user),
        "poster_url": vod.poster_url(video, request.user),
        "makeup": bool(member and selectors.is_makeup_owed(member, video)),
    }
    if start and member is not None:
        _viewing, token = services.viewing_start(member=member, video=video)
        payload["viewing_id"] = token
        payload["heartbeat_url"] = f"/api/v1/viewings/{token}/heartbeat"
    return payload


@router.post(
    "/viewings/{viewing_id}/heartbeat",
    response={200: HeartbeatOut, 400: RefusalOut, 403: Message, 409: RefusalOut, 503: BusyOut},
    summary="Report the seconds played since the last heartbeat",
)
def heartbeat(request, viewing_id: str, payload: HeartbeatIn):
    """Every ≤ 15 s while playing. Seconds beyond elapsed wall time × 1.5 are not credited
    (`refused_seconds`); seconds already watched are not credited again. 409 `superseded` when the
    member opened a video in another tab or device since: only one viewing counts at a time. 503
    `busy` (with Retry-After) when the server is overloaded: nothing was taken, send the same
    intervals again later."""
    try:
        beat = services.viewing_heartbeat(
            user=request.user,
            viewing_id=viewing_id,
            intervals=[list(pair) for pair in payload.intervals],
            position=payload.position,
        )
    except services.HeartbeatRefused as refused:
        status = 409 if refused.reason in ("superseded", "gone") else 400
        return Status(status, {"detail": refused.messages[0], "reason": refused.reason})
    except services.HeartbeatBusy:
        busy = {"detail": _("The server is busy. Try again in a few seconds."), "code": "busy"}
        response = router.api.create_response(request, busy, status=503)
        response["Retry-After"] = str(services.BUSY_RETRY_SECONDS)
        return response
    return beat.__dict__

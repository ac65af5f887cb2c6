"""Writes about videos on demand: upload, process (in the worker), retry, delete, and the recording of
a live session turned into its video after the class.

Processing is idempotent: a run first claims the video (a conditional update: waiting, failed, or
processing but silent for VOD_STALE_MINUTES, i.e. its worker died), writes into a fresh work folder
beside the output and renames it into place only when everything is there, so a re-run after a crash
starts over cleanly and a player never sees half an output."""

import logging
import secrets
import shutil
import threading
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.people.selectors import is_org_dept, staff_scope_paths
from lms.vod import ffmpeg, storage
from lms.vod.models import Video, VideoOrigin, VideoStatus

logger = logging.getLogger(__name__)

TRANSCODE_TIMEOUT_FACTOR = 10  # ffmpeg may take ten times the video's length (and at least an hour)


def school_manageable(user, school) -> bool:
    if is_org_dept(user):
        return True
    return any(school.path.startswith(path) for path in staff_scope_paths(user))


def _enqueue(video_id: int) -> None:
    from lms.vod.tasks import video_process  # the task module imports this one

    video_process.enqueue(video_id)


def video_upload(
    *, actor, school, title: str, uploaded, description: str = "", published: bool = False
) -> Video:
    """Store an uploaded file as a new video of `school` and have the worker transcode it."""
    if not school_manageable(actor, school):
        raise PermissionDenied(_("You may not add videos to this school."))
    limit = settings.VOD_UPLOAD_MAX_MB * 1024 * 1024
    if uploaded.size > limit:
        raise ValidationError(
            _("The file is larger than %(limit)s MB.") % {"limit": settings.VOD_UPLOAD_MAX_MB},
            code="too_large",
        )
    if uploaded.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    video = Video(
        title=title,
        description=description,
        school=school,
        origin=VideoOrigin.UPLOAD,
        source_name=uploaded.name[-255:],
        published=published,
        created_by=actor,
    )
    video.full_clean()
    source = storage.source_path(video.folder, video.source_name)
    source.parent.mkdir(parents=True, exist_ok=True)
    try:
        with source.open("wb") as out:
            for chunk in uploaded.chunks():
                out.write(chunk)
        with transaction.atomic():
            video.save()
            transaction.on_commit(partial(_enqueue, video.pk))
    except BaseException:
        storage.folder_delete(video.folder)
        raise
    return video


def video_update(*, actor, video: Video, title: str, description: str, published: bool) -> Video:
    if not school_manageable(actor, video.school):
        raise PermissionDenied(_("You may not change this video."))
    video.title, video.description, video.published = title, description, published
    video.full_clean(exclude=["school", "session", "created_by"])
    video.save(update_fields=["title", "description", "published", "updated_at"])
    return video


def video_retry(*, actor, video: Video) -> Video:
    """Start processing again: after a failure, or when the worker processing it went silent."""
    if actor is not None and not school_manageable(actor, video.school):
        raise PermissionDenied(_("You may not change this video."))
    with transaction.atomic():
        claimed = (
            Video.objects.filter(pk=video.pk)
            .filter(_retryable())
            .update(status=VideoStatus.WAITING, progress=0, error="", updated_at=timezone.now())
        )
        if not claimed:
            raise ValidationError(_("This video is being processed or is ready; it cannot be retried."))
        transaction.on_commit(partial(_enqueue, video.pk))
    video.refresh_from_db()
    return video


def _stale_before():
    return timezone.now() - timedelta(minutes=settings.VOD_STALE_MINUTES)


def _retryable() -> Q:
    return Q(status=VideoStatus.FAILED) | Q(status=VideoStatus.PROCESSING, updated_at__lt=_stale_before())


def video_delete(*, actor, video: Video) -> None:
    if not school_manageable(actor, video.school):
        raise PermissionDenied(_("You may not delete this video."))
    folder = video.folder
    with transaction.atomic():
        video.delete()
        transaction.on_commit(partial(storage.folder_delete, folder))


# --- Processing (in the worker) -------------------------------------------------------------------


def _claim(video_id: int) -> bool:
    claimable = Q(status=VideoStatus.WAITING) | _retryable()
    return bool(
        Video.objects.filter(pk=video_id)
        .filter(claimable)
        .update(
            status=VideoStatus.PROCESSING,
            progress=0,
            error="",
            attempts=F("attempts") + 1,
            updated_at=timezone.now(),
        )
    )


def _progress(video_id: int, state: dict, percent: int) -> None:
    """Store progress when it moves by a whole percent (it also tells the video's worker is alive)."""
    if percent > state["percent"]:
        state["percent"] = percent
        Video.objects.filter(pk=video_id, status=VideoStatus.PROCESSING).update(
            progress=percent, updated_at=timezone.now()
        )


def video_process(*, video_id: int) -> str:
    """Transcode the video (muxing a Janus recording first) into HLS renditions and a poster.
    Returns the resulting status; a video another run holds, or a ready one, is left alone."""
    if not _claim(video_id):
        return "skipped"
    video = Video.objects.get(pk=video_id)
    folder = storage.folder_path(video.folder)
    for leftover in folder.glob("work-*"):  # a crashed run's
        shutil.rmtree(leftover, ignore_errors=True)
    work = folder / f"work-{secrets.token_hex(4)}"
    output = work / storage.OUTPUT
    try:
        output.mkdir(parents=True)
        source = _source(video, work)
        media = ffmpeg.probe(source)
        state = {"percent": 0}
        renditions = ffmpeg.hls_transcode(
            source,
            output,
            media=media,
            heights=ffmpeg.rendition_heights(media.height, settings.VOD_RENDITION_HEIGHTS),
            on_progress=partial(_progress, video_id, state),
            timeout=max(3600, media.duration * TRANSCODE_TIMEOUT_FACTOR),
        )
        ffmpeg.poster_extract(source, output / "poster.jpg", media=media)
        duration = ffmpeg.probe(output / "master.m3u8").duration
    except Exception as error:
        shutil.rmtree(work, ignore_errors=True)
        _fail(video_id, error, folder)
        return VideoStatus.FAILED
    final = storage.output_path(video.folder)
    if final.exists():
        shutil.rmtree(final)
    output.rename(final)
    shutil.rmtree(work, ignore_errors=True)
    Video.objects.filter(pk=video_id).update(
        status=VideoStatus.READY,
        progress=100,
        duration=duration,
        renditions=renditions,
        has_poster=(final / "poster.jpg").is_file(),
        ready_at=timezone.now(),
        updated_at=timezone.now(),
    )
    return VideoStatus.READY


def _source(video: Video, work: Path) -> Path:
    if video.origin == VideoOrigin.RECORDING:
        recording = storage.folder_path(video.folder) / "janus"
        return ffmpeg.recording_mux(recording, work, timeout=3600)
    source = storage.source_path(video.folder, video.source_name)
    if not source.is_file():
        raise ffmpeg.MediaError("the original file is missing")
    return source


def _fail(video_id: int, error: Exception, folder: Path | None = None) -> None:
    if isinstance(error, ffmpeg.MediaError):
        reason = error.message + (f"\n{error.detail}" if error.detail else "")
        if folder is not None:  # staff read file names, not the server's folders
            reason = reason.replace(f"{folder}/", "")
    else:
        logger.exception("Video %s not processed", video_id)
        reason = f"{type(error).__name__}: {error}"
    Video.objects.filter(pk=video_id).update(
        status=VideoStatus.FAILED, error=reason[-4000:], updated_at=timezone.now()
    )


# --- Recordings of live sessions ------------------------------------------------------------------


def recording_start(*, room_id: int, session_id: int) -> Video | None:
    """After a Janus class ends (its room destroyed, so Janus has closed the files): move the room's
    recording under VOD_ROOT and have the worker turn it into the session's video. Nothing without a
    recording; a session that already has one keeps it."""
    from lms.scheduling.models import Session

    recorded = settings.JANUS_RECORDINGS_DIR / str(room_id)
    if not any(recorded.glob("*.mjr")):
        return None
    session = Session.objects.select_related("training_class").get(pk=session_id)
    video = Video(
        title=f"{session.training_class.title} · {session.title or session.get_kind_display()}"[:200],
        school_id=session.training_class.school_id,
        origin=VideoOrigin.RECORDING,
        session=session,
        source_name=f"janus-room-{room_id}",
    )
    try:
        with transaction.atomic():
            video.save()
    except IntegrityError:  # already recorded (a second close, or the sweep after the teacher)
        return None
    target = storage.folder_path(video.folder) / "janus"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(recorded), str(target))
    transaction.on_commit(partial(_enqueue, video.pk))
    return video


def recording_start_after_class(room_id: int, session_id: int) -> None:
    """The classroom's hook (run on commit after the room closed): never raises, never holds the
    class's end. With the database task backend it only enqueues; with the immediate one (tests, the
    embedded default) the transcoding would run right here, in the teacher's "end the class", so it
    runs in a thread of its own."""
    if settings.TASKS.get("default", {}).get("BACKEND", "").endswith("ImmediateBackend"):
        threading.Thread(
            target=_recording_start_logged,
            args=(room_id, session_id, True),
            daemon=True,
            name="vod-recording",
        ).start()
    else:
        _recording_start_logged(room_id, session_id)


def _recording_start_logged(room_id: int, session_id: int, own_thread: bool = False) -> None:
    try:
        recording_start(room_id=room_id, session_id=session_id)
    except Exception:
        logger.exception("Recording of room %s not taken", room_id)
    finally:
        if own_thread:
            connection.close()

"""The worker's transcoding: HLS renditions (never upscaled), durations, a poster, progress; a broken
file fails with ffmpeg's reason and can be retried; a re-run after a crash starts over cleanly."""

import json
import subprocess
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from lms.vod import services, storage
from lms.vod.models import Video, VideoStatus
from tests.vod.conftest import generated_video, need_ffmpeg

pytestmark = pytest.mark.django_db


def ffprobe_duration(path) -> float:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return float(json.loads(done.stdout)["format"]["duration"])


def upload(county, path, *, actor="staff_a", school="town_a", title="党章学习"):
    return services.video_upload(
        actor=county[actor],
        school=county[school],
        title=title,
        uploaded=SimpleUploadedFile(path.name, path.read_bytes(), content_type="video/mp4"),
    )


def test_an_upload_becomes_hls_renditions_with_a_poster(county, tmp_path, django_capture_on_commit_callbacks):
    need_ffmpeg()
    source = generated_video(tmp_path / "in.mp4", seconds=6, size="1280x720")
    with django_capture_on_commit_callbacks(execute=True):
        video = upload(county, source)
    video.refresh_from_db()
    assert video.status == VideoStatus.READY, video.error
    assert (video.progress, video.attempts, video.has_poster) == (100, 1, True)
    assert [r["name"] for r in video.renditions] == ["360p", "720p"]
    assert abs(video.duration - 6) < 0.5
    out = storage.output_path(video.folder)
    master = (out / "master.m3u8").read_text()
    assert "360p/index.m3u8" in master and "720p/index.m3u8" in master
    for name in ("360p", "720p"):
        assert abs(ffprobe_duration(out / name / "index.m3u8") - 6) < 0.5
        assert list((out / name).glob("seg_*.ts"))
    assert (out / "poster.jpg").read_bytes()[:2] == b"\xff\xd8"
    assert not list(storage.folder_path(video.folder).glob("work-*"))


def test_a_small_video_is_never_upscaled(county, tmp_path, django_capture_on_commit_callbacks):
    need_ffmpeg()
    source = generated_video(tmp_path / "small.mp4", seconds=3, size="320x240", audio=False)
    with django_capture_on_commit_callbacks(execute=True):
        video = upload(county, source)
    video.refresh_from_db()
    assert video.status == VideoStatus.READY, video.error
    assert [r["height"] for r in video.renditions] == [240]


def test_progress_is_stored_while_ffmpeg_runs(county, tmp_path):
    need_ffmpeg()
    source = generated_video(tmp_path / "in.mp4", seconds=6)
    video = upload(county, source)  # not yet processed: the commit never came
    seen = []
    original = services._progress

    def spy(video_id, state, percent):
        original(video_id, state, percent)
        seen.append(Video.objects.get(pk=video_id).progress)

    services._progress = spy
    try:
        assert services.video_process(video_id=video.pk) == VideoStatus.READY
    finally:
        services._progress = original
    assert seen and seen == sorted(seen) and 0 < seen[-1] <= 99


def test_a_broken_file_fails_with_the_reason_and_can_be_retried(
    county, tmp_path, django_capture_on_commit_callbacks, settings
):
    need_ffmpeg()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video" * 100)
    with django_capture_on_commit_callbacks(execute=True):
        video = upload(county, broken)
    video.refresh_from_db()
    assert video.status == VideoStatus.FAILED
    assert "ffprobe" in video.error and "Invalid data" in video.error
    assert "source.mp4: Invalid data" in video.error and str(settings.VOD_ROOT) not in video.error
    assert not storage.output_path(video.folder).exists()
    with pytest.raises(PermissionDenied):
        services.video_retry(actor=county["staff_b"], video=video)
    # Staff replace nothing: the file is repaired on disk (as if the upload had been cut short).
    generated_video(storage.source_path(video.folder, video.source_name), seconds=3)
    with django_capture_on_commit_callbacks(execute=True):
        services.video_retry(actor=county["staff_a"], video=video)
    video.refresh_from_db()
    assert (video.status, video.attempts, video.error) == (VideoStatus.READY, 2, "")
    with pytest.raises(ValidationError):
        services.video_retry(actor=county["staff_a"], video=video)  # ready: nothing to retry


def test_a_rerun_after_a_worker_crash_starts_over(county, tmp_path, frozen_clock, settings):
    need_ffmpeg()
    video = upload(county, generated_video(tmp_path / "in.mp4", seconds=3))
    # The first worker died half-way: the video says processing, a work folder is left behind.
    Video.objects.filter(pk=video.pk).update(status=VideoStatus.PROCESSING, progress=40, attempts=1)
    leftover = storage.folder_path(video.folder) / "work-dead" / "hls"
    leftover.mkdir(parents=True)
    (leftover / "master.m3u8").write_text("half")
    assert services.video_process(video_id=video.pk) == "skipped"  # it may still be alive
    with pytest.raises(ValidationError):
        services.video_retry(actor=county["staff_a"], video=video)
    frozen_clock.shift(timedelta(minutes=settings.VOD_STALE_MINUTES + 1))
    assert services.video_process(video_id=video.pk) == VideoStatus.READY
    video.refresh_from_db()
    assert video.attempts == 2
    assert not (storage.folder_path(video.folder) / "work-dead").exists()
    assert "#EXT-X-STREAM-INF" in (storage.output_path(video.folder) / "master.m3u8").read_text()
    assert services.video_process(video_id=video.pk) == "skipped"  # done: a late duplicate does nothing


def test_uploads_are_checked(county, tmp_path, settings):
    settings.VOD_UPLOAD_MAX_MB = 1
    big = SimpleUploadedFile("big.mp4", b"0" * (1024 * 1024 + 1))
    with pytest.raises(ValidationError):
        services.video_upload(actor=county["staff_a"], school=county["town_a"], title="大", uploaded=big)
    small = SimpleUploadedFile("small.mp4", b"0" * 10)
    with pytest.raises(PermissionDenied):
        services.video_upload(actor=county["staff_a"], school=county["town_b"], title="乙", uploaded=small)
    assert not Video.objects.exists()
    assert not any(settings.VOD_ROOT.iterdir())


def test_delete_removes_the_files(county, tmp_path, django_capture_on_commit_callbacks):
    video = upload(county, _tiny(tmp_path))
    folder = storage.folder_path(video.folder)
    assert folder.exists()
    with pytest.raises(PermissionDenied):
        services.video_delete(actor=county["staff_b"], video=video)
    with django_capture_on_commit_callbacks(execute=True):
        services.video_delete(actor=county["staff_a"], video=video)
    assert not folder.exists() and not Video.objects.exists()


def _tiny(tmp_path):
    path = tmp_path / "tiny.mp4"
    path.write_bytes(b"x" * 10)
    return path

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from lms.scheduling.models import Enrollment
from lms.vod.models import Video, VideoOrigin, VideoStatus
from tests import factories
from tests.services import need


@pytest.fixture(autouse=True)
def vod_root(settings, tmp_path):
    """Each test's videos in a folder of its own."""
    settings.VOD_ROOT = tmp_path / "vod"
    settings.VOD_ROOT.mkdir()
    settings.JANUS_RECORDINGS_DIR = tmp_path / "recordings"
    return settings.VOD_ROOT


def need_ffmpeg() -> None:
    need(bool(shutil.which("ffmpeg") and shutil.which("ffprobe")), "ffmpeg is not installed")


def ready_video(school, *, folder_files: bool = True, **fields) -> Video:
    """A video as the worker leaves it (with a tiny master playlist and poster on disk)."""
    fields.setdefault("title", "视频")
    video = Video.objects.create(
        school=school, status=VideoStatus.READY, duration=60.0, has_poster=True, **fields
    )
    if folder_files:
        from lms.vod import storage

        out = storage.output_path(video.folder)
        (out / "360p").mkdir(parents=True)
        (out / "master.m3u8").write_text("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n360p/index.m3u8\n")
        (out / "360p" / "index.m3u8").write_text("#EXTM3U\n#EXTINF:6.0,\nseg_00000.ts\n#EXT-X-ENDLIST\n")
        (out / "360p" / "seg_00000.ts").write_bytes(b"G" * 188)
        (out / "poster.jpg").write_bytes(b"\xff\xd8\xff\xe0jpeg")
    return video


def session_of_class(county, school_key="town_a", *, day=date(2026, 12, 1)):
    teacher = factories.TeacherFactory()
    point = county["point_a"] if school_key != "town_b" else county["point_b"]
    training_class = factories.training_class(county[school_key], day, teacher=teacher, point=point)
    return training_class.sessions.order_by("starts_at").first()


def enroll(member, training_class) -> Enrollment:
    return Enrollment.objects.create(member=member, training_class=training_class)


def recording_of(session, **fields) -> Video:
    return ready_video(session.training_class.school, origin=VideoOrigin.RECORDING, session=session, **fields)


def generated_video(path: Path, *, seconds: int = 6, size: str = "640x360", audio: bool = True) -> Path:
    """A short test pattern (with a tone) made by ffmpeg."""
    command = [
        "ffmpeg",
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc=duration={seconds}:size={size}:rate=25",
    ]
    if audio:
        command += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    command += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast"]
    if audio:
        command += ["-c:a", "aac"]
    command += [str(path)]
    subprocess.run(command, check=True, timeout=120)
    return path

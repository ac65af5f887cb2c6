"""ffmpeg and janus-pp-rec, as the media worker runs them.

- `probe`: duration and streams of a file (ffprobe).
- `hls_transcode`: one ffmpeg run that scales the picture to each rendition height (never above the
  source's), encodes H.264 + AAC (one audio), cuts 6-second segments and writes the master playlist;
  progress comes from ffmpeg's `-progress` output measured against the duration.
- `poster_extract`: one JPEG frame.
- `recording_mux`: Janus's .mjr recordings of one publisher (video, audio) into one file to transcode.
"""

import json
import logging
import re
import subprocess
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

SEGMENT_SECONDS = 6
ERROR_LINES = 12  # the last lines of ffmpeg's complaint kept on a failed video
# bit/s of the video per rendition height (the audio adds 96 kbit/s).
VIDEO_BITRATES = {240: 400_000, 360: 800_000, 480: 1_200_000, 720: 2_500_000, 1080: 5_000_000}
AUDIO_BITRATE = 96_000


class MediaError(Exception):
    """A tool failed; `detail` holds the last lines it wrote to stderr."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail


@dataclass
class Probe:
    duration: float
    width: int
    height: int
    has_audio: bool


def _run(command: list[str], *, timeout: float) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)  # noqa: S603 (no shell)
    except subprocess.TimeoutExpired as error:
        raise MediaError(f"{command[0]} took longer than {timeout:.0f} s") from error
    except OSError as error:
        raise MediaError(f"{command[0]} could not be started: {error}") from error
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-ERROR_LINES:])
        raise MediaError(f"{command[0]} exited with status {done.returncode}", tail)
    return done


def probe(path: Path) -> Probe:
    done = _run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        timeout=120,
    )
    info = json.loads(done.stdout or "{}")
    streams = info.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is None:
        raise MediaError("the file has no video stream")
    try:
        duration = float(info.get("format", {}).get("duration") or video.get("duration") or 0)
    except ValueError:
        duration = 0
    if duration <= 0:
        raise MediaError("the file has no duration")
    return Probe(
        duration=duration,
        width=int(video.get("width") or 0),
        height=int(video.get("height") or 0),
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
    )


def rendition_heights(source_height: int, wanted: list[int]) -> list[int]:
    """The wanted heights not above the source's (never upscale); the source's own if all are."""
    heights = sorted({h for h in wanted if h <= source_height})
    return heights or [max(2, source_height - source_height % 2)]


def bandwidth(height: int) -> int:
    nearest = min(VIDEO_BITRATES, key=lambda h: abs(h - height))
    return VIDEO_BITRATES[nearest] * height // nearest if height < nearest else VIDEO_BITRATES[nearest]


def hls_transcode(
    source: Path,
    output: Path,
    *,
    media: Probe,
    heights: list[int],
    on_progress: Callable[[int], None],
    timeout: float,
) -> list[dict]:
    """Write output/master.m3u8 and output/<height>p/{index.m3u8,seg_NNNNN.ts}; returns the renditions
    ([{"name", "height", "bandwidth"}], best last)."""
    count = len(heights)
    split = f"[0:v]split={count}" + "".join(f"[v{i}]" for i in range(count))
    scales = [f"[v{i}]scale=-2:{h}:flags=bicubic,format=yuv420p[out{i}]" for i, h in enumerate(heights)]
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-y", "-i", str(source)]
    command += ["-filter_complex", ";".join([split, *scales])]
    stream_map = []
    for i, height in enumerate(heights):
        rate = bandwidth(height)
        command += ["-map", f"[out{i}]", f"-c:v:{i}", "libx264", f"-b:v:{i}", str(rate)]
        command += [f"-maxrate:v:{i}", str(rate * 3 // 2), f"-bufsize:v:{i}", str(rate * 2)]
        entry = f"v:{i}"
        if media.has_audio:
            command += [
                "-map",
                "0:a:0",
                f"-c:a:{i}",
                "aac",
                f"-b:a:{i}",
                str(AUDIO_BITRATE),
                f"-ac:a:{i}",
                "2",
            ]
            entry += f",a:{i}"
        stream_map.append(f"{entry},name:{height}p")
    command += ["-preset", "veryfast", "-profile:v", "main", "-sc_threshold", "0"]
    command += ["-force_key_frames", f"expr:gte(t,n_forced*{SEGMENT_SECONDS})"]
    command += ["-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_playlist_type", "vod"]
    command += ["-hls_segment_filename", str(output / "%v" / "seg_%05d.ts")]
    command += ["-master_pl_name", "master.m3u8", "-var_stream_map", " ".join(stream_map)]
    command += ["-progress", "pipe:1", "-nostats", "-loglevel", "error", str(output / "%v" / "index.m3u8")]
    stderr_path = output / "ffmpeg.log"
    with stderr_path.open("w+") as stderr:
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)  # noqa: S603
        except OSError as error:
            raise MediaError(f"ffmpeg could not be started: {error}") from error
        _follow_progress(process, media.duration, on_progress, timeout)
        stderr.seek(0)
        tail = "\n".join(deque(stderr.read().strip().splitlines(), maxlen=ERROR_LINES))
    stderr_path.unlink(missing_ok=True)
    if process.returncode != 0:
        raise MediaError(f"ffmpeg exited with status {process.returncode}", tail)
    if not (output / "master.m3u8").is_file():
        raise MediaError("ffmpeg wrote no master playlist", tail)
    return [{"name": f"{h}p", "height": h, "bandwidth": bandwidth(h) + AUDIO_BITRATE} for h in heights]


OUT_TIME = re.compile(r"^out_time_(?:us|ms)=(\d+)$")


def _follow_progress(process, duration: float, on_progress: Callable[[int], None], timeout: float) -> None:
    """Read ffmpeg's `-progress` lines (key=value) and report whole percents of the duration."""
    import time

    deadline = time.monotonic() + timeout
    for line in process.stdout:
        match = OUT_TIME.match(line.strip())
        if match:
            done = int(match[1]) / 1_000_000
            on_progress(max(0, min(99, int(done * 100 / duration))))
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise MediaError(f"ffmpeg took longer than {timeout:.0f} s")
    process.wait()


def poster_extract(source: Path, poster: Path, *, media: Probe) -> None:
    at = min(3.0, media.duration / 3)
    height = min(720, media.height - media.height % 2) or 360
    _run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", f"{at:.2f}", "-i", str(source), "-frames:v", "1"]
        + ["-vf", f"scale=-2:{height}", "-q:v", "3", str(poster)],
        timeout=120,
    )


# --- Janus recordings --------------------------------------------------------------------------------

# videoroom-<room>-user-<publisher>-<time>-<audio|video>[-<mindex>].mjr
MJR = re.compile(r"-user-(?P<publisher>\d+)-(?P<time>\d+)-(?P<kind>audio|video|data)(?:-\d+)?\.mjr$")


def recording_tracks(folder: Path) -> tuple[Path | None, Path | None]:
    """The video and audio .mjr of the publisher who sent the most video (the teacher)."""
    tracks: dict[tuple[str, str], dict[str, Path]] = {}
    for path in folder.glob("*.mjr"):
        match = MJR.search(path.name)
        if match and match["kind"] != "data":
            tracks.setdefault((match["publisher"], match["time"]), {})[match["kind"]] = path
    with_video = [t for t in tracks.values() if "video" in t]
    if not with_video:
        return None, None
    best = max(with_video, key=lambda t: t["video"].stat().st_size)
    return best["video"], best.get("audio")


def recording_mux(folder: Path, work: Path, *, timeout: float) -> Path:
    """janus-pp-rec turns each .mjr into a playable file; ffmpeg puts video and audio into one."""
    video_mjr, audio_mjr = recording_tracks(folder)
    if video_mjr is None:
        raise MediaError("the recording has no video")
    video = work / "recording-video.mkv"
    _run(["janus-pp-rec", str(video_mjr), str(video)], timeout=timeout)
    inputs = ["-i", str(video)]
    maps = ["-map", "0:v:0"]
    if audio_mjr is not None:
        audio = work / "recording-audio.opus"
        try:
            _run(["janus-pp-rec", str(audio_mjr), str(audio)], timeout=timeout)
            inputs += ["-i", str(audio)]
            maps += ["-map", "1:a:0"]
        except MediaError:  # a class without sound is still worth keeping
            logger.warning("Recording %s: the audio could not be processed", audio_mjr, exc_info=True)
    muxed = work / "recording.mkv"
    _run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, *maps, "-c", "copy", str(muxed)], timeout=timeout
    )
    return muxed

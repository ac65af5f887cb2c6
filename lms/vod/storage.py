"""Where a video's files live: VOD_ROOT/<folder>/source.<ext> (the original) and
VOD_ROOT/<folder>/hls/ (master.m3u8, <height>p/index.m3u8 and segments, poster.jpg). The worker writes
the output into a temporary folder beside it and renames it into place when done, so a crashed run
leaves nothing half-written where the player looks."""

import re
import shutil
from pathlib import Path

from django.conf import settings

OUTPUT = "hls"
# The files of the output a URL may name (never the original, never anything else).
SERVED_NAME = re.compile(r"^(master\.m3u8|poster\.jpg|\d{3,4}p/(index\.m3u8|seg_\d{5}\.ts))$")
CONTENT_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".jpg": "image/jpeg"}


def folder_path(folder: str) -> Path:
    return Path(settings.VOD_ROOT) / folder


def output_path(folder: str) -> Path:
    return folder_path(folder) / OUTPUT


def source_path(folder: str, source_name: str) -> Path:
    suffix = Path(source_name).suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,8}", suffix):
        suffix = ".bin"
    return folder_path(folder) / f"source{suffix}"


def served_file(folder: str, name: str) -> Path | None:
    """The output file a URL names, if it may be served and exists."""
    if not re.fullmatch(r"[0-9a-f]{32}", folder) or not SERVED_NAME.match(name):
        return None
    path = output_path(folder) / name
    return path if path.is_file() else None


def folder_delete(folder: str) -> None:
    if re.fullmatch(r"[0-9a-f]{32}", folder):
        shutil.rmtree(folder_path(folder), ignore_errors=True)

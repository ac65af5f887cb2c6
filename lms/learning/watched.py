"""The set of watched seconds as a bitmap: bit s (byte s // 8, bit s % 8) is second s of the video.
Pure functions on bytes and ints, no database: the heartbeat merges into them, the reports read them."""

import math

Interval = tuple[float, float]


def length_seconds(duration: float | None) -> int:
    """How many whole seconds a video has (its last second counts even when partial)."""
    return max(math.ceil(duration or 0), 0)


def merge(intervals: list[Interval]) -> list[Interval]:
    """Sorted, overlapping or touching intervals joined."""
    merged: list[list[float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def clip_to(intervals: list[Interval], budget: float) -> list[Interval]:
    """The first `budget` seconds of the (merged) intervals: what wall time allows to have been played."""
    kept = []
    for start, end in intervals:
        if budget <= 0:
            break
        end = min(end, start + budget)
        kept.append((start, end))
        budget -= end - start
    return kept


def to_bits(intervals: list[Interval], seconds: int) -> int:
    """The seconds the intervals cover, as an int bitmap. Both ends are rounded, so consecutive
    heartbeats ([0, 14.7], [14.7, 29.5]) mark each second once and a split never gains one."""
    bits = 0
    for start, end in intervals:
        first = max(math.floor(start + 0.5), 0)
        last = min(math.floor(end + 0.5), seconds)
        if last > first:
            bits |= ((1 << (last - first)) - 1) << first
    return bits


def from_bytes(data: bytes | memoryview | None) -> int:
    return int.from_bytes(bytes(data or b""), "little")


def to_bytes(bits: int, seconds: int) -> bytes:
    return bits.to_bytes((seconds + 7) // 8, "little")


def count(bits: int) -> int:
    return bits.bit_count()


def watched_in(data: bytes | memoryview | None, buckets: int, seconds: int) -> list[int]:
    """For each of `buckets` equal parts of the video, whether each second in it was watched: the
    seconds watched per part (the drop-off curve adds these over viewers)."""
    bits = from_bytes(data)
    counts = []
    for index in range(buckets):
        first = seconds * index // buckets
        last = seconds * (index + 1) // buckets
        counts.append(((bits >> first) & ((1 << (last - first)) - 1)).bit_count() if last > first else 0)
    return counts

"""Presence intervals → minutes actually present: time in the room, less time away, within the session.

Intervals from several connections of one person (two tabs, a reconnect that overlaps the old
socket's timeout) are merged first, so nothing is counted twice."""

from collections.abc import Iterable
from datetime import datetime

Span = tuple[datetime, datetime]


def merged(spans: Iterable[Span]) -> list[Span]:
    """The union of spans as sorted, non-overlapping spans (empty ones dropped)."""
    result: list[Span] = []
    for start, end in sorted(span for span in spans if span[1] > span[0]):
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result


def clipped(spans: Iterable[Span], window: Span) -> list[Span]:
    low, high = window
    return [(max(start, low), min(end, high)) for start, end in spans if end > low and start < high]


def subtract(spans: list[Span], holes: list[Span]) -> list[Span]:
    """`spans` minus `holes` (both merged)."""
    result = []
    for start, end in spans:
        cursor = start
        for hole_start, hole_end in holes:
            if hole_end <= cursor or hole_start >= end:
                continue
            if hole_start > cursor:
                result.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
        if cursor < end:
            result.append((cursor, end))
    return result


def present_seconds(present: Iterable[Span], away: Iterable[Span], window: Span) -> int:
    """Seconds in the room and not away, within the window."""
    inside = subtract(merged(clipped(present, window)), merged(clipped(away, window)))
    return int(sum((end - start).total_seconds() for start, end in inside))


def present_minutes(present: Iterable[Span], away: Iterable[Span], window: Span) -> int:
    return present_seconds(present, away, window) // 60

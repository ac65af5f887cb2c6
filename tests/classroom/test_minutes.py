"""Presence intervals → minutes present: joins, leaves, away time, reconnects, the session's window."""

from datetime import datetime, timedelta

from lms.classroom.minutes import merged, present_minutes

T0 = datetime(2026, 12, 7, 9, 0)
WINDOW = (T0, T0 + timedelta(minutes=60))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_whole_session():
    assert present_minutes([(at(-10), at(70))], [], WINDOW) == 60


def test_joins_late_and_leaves_early():
    assert present_minutes([(at(12), at(50))], [], WINDOW) == 38


def test_away_time_is_taken_out():
    assert present_minutes([(at(0), at(60))], [(at(10), at(25)), (at(40), at(45))], WINDOW) == 40


def test_reconnects_overlapping_the_old_connection_count_once():
    present = [(at(0), at(31)), (at(30), at(60)), (at(5), at(20))]  # a second tab too
    assert present_minutes(present, [], WINDOW) == 60
    assert merged(present) == [(at(0), at(60))]


def test_a_drop_and_return_loses_the_gap_only():
    assert present_minutes([(at(0), at(20)), (at(27), at(60))], [], WINDOW) == 53


def test_away_outside_presence_and_window_changes_nothing():
    assert present_minutes([(at(0), at(30))], [(at(40), at(50)), (at(-20), at(-5))], WINDOW) == 30


def test_partial_minutes_are_not_rounded_up():
    assert present_minutes([(at(0), at(10.9))], [], WINDOW) == 10

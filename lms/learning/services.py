"""Writes about on-demand learning: opening a viewing and its heartbeats.

A heartbeat brings the intervals the player actually played since the last one. The server believes
no more of them than wall time allows (elapsed × 1.5 since the viewing's last heartbeat, plus a little
slack for the network), merges them into the member's bitmap of watched seconds for the video, and
credits only seconds not watched before: seeking forward plays nothing, seeking back re-plays seconds
already counted, two tabs or two videos share the member's one viewing (the newest wins).

Everything a heartbeat writes is updated in place, and only if the member's `Viewing` row is still
the version the heartbeat read (its token and count of heartbeats; the update takes the row's lock):
a burst of the same heartbeat credits once, and the rows written per member-hour stay three. 2,000
members watching send ~133 heartbeats a second, so one costs three queries on PostgreSQL (the token,
one read, one write) and no transaction of its own (`viewing_heartbeat`).
"""

import secrets
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.attendance.models import ATTENDED_STATUSES, OnlineStudy
from lms.attendance.services import attendance_credit_replay
from lms.learning import selectors, watched
from lms.learning.models import DEFAULT_SHARE, StudyContent, StudyRule, Viewing, WatchProgress
from lms.people.models import Member
from lms.people.selectors import is_org_dept, member_profile
from lms.scheduling.models import PUBLIC_STATUSES, Session
from lms.vod.models import Video, VideoStatus

MAX_RATE = 1.5  # fastest playback that still counts
HEARTBEAT_SECONDS = 10  # the player reports this often (the rules allow up to 15 s)
SLACK_SECONDS = 3.0  # network jitter between heartbeats
MAX_INTERVALS = 200  # per heartbeat
SALT = "lms.learning.viewing"


class HeartbeatRefused(ValidationError):
    """A heartbeat that cannot be taken; `reason` is a stable code for the API and the player."""

    def __init__(self, reason: str, message: str):
        super().__init__(message, code=reason)
        self.reason = reason


@dataclass
class Heartbeat:
    credited_seconds: int  # seconds new to the member's set
    watched_seconds: int
    share: float
    completed: bool
    made_up: bool  # this heartbeat turned a missed session into present (replay make-up)
    refused_seconds: float  # reported seconds beyond what wall time allows


def viewing_token(viewing: Viewing) -> str:
    return signing.Signer(salt=SALT).sign(f"{viewing.member_id}-{viewing.video_id}-{viewing.token}")


def _read_token(signed: str) -> tuple[int, int, str]:
    try:
        member_id, video_id, token = signing.Signer(salt=SALT).unsign(signed).split("-", 2)
        return int(member_id), int(video_id), token
    except (signing.BadSignature, ValueError):
        raise HeartbeatRefused("bad_viewing", _("This viewing is not valid. Reload the page.")) from None


def viewing_start(*, member: Member, video: Video, now: datetime | None = None) -> tuple[Viewing, str]:
    """Open (or reopen) the member's viewing of the video: the member's one viewing now points here with
    a fresh token, so any other tab or device stops being credited. Returns it with its signed id."""
    if video.status != VideoStatus.READY:
        raise ValidationError(_("This video is not ready to be watched yet."), code="not_ready")
    now = now or timezone.now()
    token = secrets.token_hex(8)
    fields = {"video": video, "token": token, "started_at": now, "last_beat_at": now, "beats": 0}
    try:
        with transaction.atomic():
            viewing, _created = Viewing.objects.update_or_create(member=member, defaults=fields)
    except IntegrityError:  # two pages opened at the same moment: the other inserted first
        with transaction.atomic():
            viewing, _created = Viewing.objects.update_or_create(member=member, defaults=fields)
    return viewing, viewing_token(viewing)


def _clean_intervals(intervals, seconds: int) -> list[watched.Interval]:
    if not isinstance(intervals, list | tuple) or len(intervals) > MAX_INTERVALS:
        raise HeartbeatRefused(
            "bad_intervals", _("The played intervals are not a list of [start, end] pairs.")
        )
    cleaned = []
    for pair in intervals:
        try:
            start, end = float(pair[0]), float(pair[1])
        except (TypeError, ValueError, IndexError, KeyError):
            raise HeartbeatRefused(
                "bad_intervals", _("The played intervals are not a list of [start, end] pairs.")
            ) from None
        if not (0 <= start <= end <= seconds + 1):
            raise HeartbeatRefused(
                "bad_intervals",
                _("A played interval lies outside the video (0 to %(seconds)s s).") % {"seconds": seconds},
            )
        cleaned.append((start, end))
    return watched.merge(cleaned)


HEARTBEAT_ATTEMPTS = 5  # reads and writes of one heartbeat that another of the member's may overtake
BUSY_RETRY_SECONDS = 5  # the player waits this long before sending again after a 503 (Retry-After)


class HeartbeatBusy(Exception):
    """The member's heartbeats kept overtaking this one: the player sends its intervals again later."""


def viewing_heartbeat(
    *, user, viewing_id: str, intervals, position: float | None = None, now: datetime | None = None
) -> Heartbeat:
    """Take one heartbeat of a viewing (see the module's docstring).

    One read brings everything the heartbeat decides on, as of one moment: the member's viewing and
    its video, their progress and online study of it, the year's rule and whether the video is owed as
    make-up (`_beat_state`). One write (`_beat_write`) then moves the viewing on only if it is still
    the version read (same token, same count of heartbeats) and, in the same statement or transaction,
    writes progress and online study. If another heartbeat of the member was written in between, the
    write does nothing and this one is decided again on what that one wrote, now with the viewing row
    locked from the read to the write: a burst of the same heartbeat credits once, and each member's
    heartbeats are taken one after the other."""
    now = now or timezone.now()
    member_id, video_id, token = _read_token(viewing_id)
    member = member_profile(user)
    if member is None or member.pk != member_id:
        raise PermissionDenied(_("This viewing is not yours."))
    year = timezone.localdate(now).year
    for attempt in range(HEARTBEAT_ATTEMPTS):
        # Overtaken once: from then on the viewing row is locked from the read to the write.
        locked = attempt > 0 and connection.features.has_select_for_update
        with transaction.atomic() if locked else nullcontext():
            state, beat, seconds = _beat_take(member, year, now, token, video_id, intervals, position, locked)
            if _beat_write(state, beat, now):
                break
    else:
        raise HeartbeatBusy
    made_up = False
    if state.owed and beat.completed:
        made_up = (
            attendance_credit_replay(
                session=Session.objects.get(pk=state.video_session_id),
                member=member,
                minutes=beat.progress.watched_seconds // 60,
                now=now,
            )
            is not None
        )
    progress = beat.progress
    return Heartbeat(
        credited_seconds=max(beat.credited, 0),
        watched_seconds=progress.watched_seconds,
        share=min(progress.watched_seconds / seconds, 1.0) if seconds else 0.0,
        completed=beat.completed,
        made_up=made_up,
        refused_seconds=round(max(beat.refused, 0.0), 1),
    )


def _beat_take(member, year, now, token, video_id, intervals, position, locked):
    """Read the state (`_beat_state`), refuse what cannot be taken, and decide the heartbeat."""
    state = _beat_state(member, year, now, lock=locked)
    if state is None or state.token != token or state.video_id != video_id:
        raise _refusal(video_id)
    if state.video_status != VideoStatus.READY:
        raise HeartbeatRefused("gone", _("This video is no longer available."))
    duration = state.video_duration or 0
    seconds = watched.length_seconds(duration)
    reported = _clean_intervals(intervals, seconds)
    if position is not None:
        try:
            position = min(max(float(position), 0.0), float(duration))
        except (TypeError, ValueError):
            raise HeartbeatRefused("bad_position", _("The position is not a number of seconds.")) from None
    return state, _decide(state, reported, position, seconds, year, now), seconds


def _refusal(video_id: int) -> HeartbeatRefused:
    """Why a viewing is no longer the member's: its video is gone, or another was opened since."""
    if not Video.objects.filter(pk=video_id, status=VideoStatus.READY).exists():
        return HeartbeatRefused("gone", _("This video is no longer available."))
    return HeartbeatRefused(
        "superseded",
        _("This video is playing in another tab or on another device: only one counts at a time."),
    )


# The member's viewing with, as of the same moment, everything a heartbeat decides on: its video,
# their progress on it (p_*), their online study of it this year and the minutes of their other online
# study this year (s_*), the year's rule for their category (rule_*, NULL without one), whether the
# video is owed as make-up (`selectors.makeup_owed`) and whether its session already credits them.
# Raw SQL: built by the ORM, this query cost more Python than the rest of the request together.
BEAT_STATE_SQL = """
SELECT v.id, v.member_id, v.video_id, v.token, v.started_at, v.last_beat_at, v.beats,
    vid.status AS video_status, vid.duration AS video_duration, vid.session_id AS video_session_id,
    p.watched AS p_watched, p.position AS p_position, p.completed_at IS NOT NULL AS p_completed,
    s.seconds AS s_seconds,
    (SELECT SUM(o.minutes) FROM attendance_onlinestudy o
        WHERE o.member_id = v.member_id AND o.year = %s AND o.video_id <> v.video_id) AS s_others,
    r.content AS rule_content, r.share AS rule_share, r.cap_hours AS rule_cap,
    EXISTS (SELECT 1 FROM learning_studyrule_marked_videos m
        WHERE m.studyrule_id = r.id AND m.video_id = v.video_id) AS rule_marked,
    vid.session_id IS NOT NULL AND vid.status = %s AND EXISTS (
        SELECT 1 FROM scheduling_session se
        JOIN scheduling_trainingclass tc ON tc.id = se.training_class_id
        WHERE se.id = vid.session_id AND se.ends_at <= %s AND tc.status IN (%s, %s, %s) AND (
            EXISTS (SELECT 1 FROM attendance_attendancerecord a
                WHERE a.session_id = se.id AND a.member_id = v.member_id AND a.status IN (%s, %s))
            OR (%s AND tc.school_id = %s AND NOT EXISTS (SELECT 1 FROM attendance_attendancerecord a
                WHERE a.session_id = se.id AND a.member_id = v.member_id AND a.status IN (%s, %s, %s)))
        )
    ) AS owed,
    vid.session_id IS NOT NULL AND EXISTS (SELECT 1 FROM attendance_attendancerecord a
        WHERE a.session_id = vid.session_id AND a.member_id = v.member_id
        AND a.status IN (%s, %s, %s)) AS attended
FROM learning_viewing v
JOIN vod_video vid ON vid.id = v.video_id
LEFT JOIN learning_watchprogress p ON p.member_id = v.member_id AND p.video_id = v.video_id
LEFT JOIN attendance_onlinestudy s ON s.member_id = v.member_id AND s.video_id = v.video_id AND s.year = %s
LEFT JOIN learning_studyrule r ON r.year = %s AND r.category = %s
WHERE v.member_id = %s
"""

BEAT_STATE_LOCKED_SQL = BEAT_STATE_SQL + " FOR UPDATE OF v"


def _beat_state(member: Member, year: int, now: datetime, lock: bool = False) -> Viewing | None:
    """The member's viewing and what the heartbeat decides on (`BEAT_STATE_SQL`), in one query; with
    `lock`, the viewing row stays locked until the transaction ends."""
    township = member.branch.township_id if member.is_migrant else None
    params = [year, VideoStatus.READY, now, *PUBLIC_STATUSES, *selectors.MISSED_STATUSES]
    params += [member.is_migrant, township, *ATTENDED_STATUSES, *ATTENDED_STATUSES]
    params += [year, year, member.category, member.pk]
    return next(iter(Viewing.objects.raw(BEAT_STATE_LOCKED_SQL if lock else BEAT_STATE_SQL, params)), None)


@dataclass
class _Beat:
    progress: WatchProgress  # as it is to be written (completed_at only if completed now)
    completed: bool  # before or by this heartbeat
    credited: int  # seconds new to the member's set
    refused: float
    study: OnlineStudy | None  # online study to write, if the new seconds count as such


def _decide(state: Viewing, reported, position, seconds: int, year: int, now: datetime) -> _Beat:
    """What the heartbeat does to the state read: no database."""
    elapsed = max((now - state.last_beat_at).total_seconds(), 0.0)
    played = watched.clip_to(reported, elapsed * MAX_RATE + SLACK_SECONDS)
    refused = sum(e - s for s, e in reported) - sum(e - s for s, e in played)
    old = watched.from_bytes(state.p_watched)
    new = old | watched.to_bits(played, seconds)
    credited = watched.count(new) - watched.count(old)
    share = state.rule_share or DEFAULT_SHARE
    progress = WatchProgress(
        member_id=state.member_id,
        video_id=state.video_id,
        watched=watched.to_bytes(new, seconds),
        watched_seconds=watched.count(new),
        position=position if position is not None else (state.p_position or 0.0),
        last_watched_at=now,
    )
    completed = bool(state.p_completed)
    if not completed and progress.watched_seconds * 100 >= share * seconds:
        progress.completed_at, completed = now, True
    study = None
    if credited and not state.owed and not state.attended and _counts(state):
        total = (state.s_seconds or 0) + credited
        minutes = total // 60
        if state.rule_cap is not None:
            cap = int(Decimal(str(state.rule_cap)) * 60)
            minutes = max(min(minutes, cap - (state.s_others or 0)), 0)
        study = OnlineStudy(
            member_id=state.member_id,
            video_id=state.video_id,
            year=year,
            seconds=total,
            minutes=minutes,
            updated_at=now,
        )
    return _Beat(progress=progress, completed=completed, credited=credited, refused=refused, study=study)


def _counts(state: Viewing) -> bool:
    """Whether the year's rule counts this video as online study (`selectors.rule_counts_video`)."""
    content = state.rule_content or StudyContent.ALL
    if content == StudyContent.ALL:
        return True
    if content == StudyContent.RECORDINGS:
        return state.video_session_id is not None
    return bool(state.rule_marked)


PROGRESS_FIELDS = ("watched", "watched_seconds", "position", "completed_at", "last_watched_at")
STUDY_FIELDS = ("seconds", "minutes", "updated_at")


def _beat_write(state: Viewing, beat: _Beat, now: datetime) -> bool:
    """Write the heartbeat if the viewing is still the version read; False when another heartbeat of
    the member (or a new opening) came first. PostgreSQL: one statement, no transaction to open and
    commit (the viewing's update, the progress and the online study as upserts in one WITH). Other
    databases: the same writes in a transaction."""
    if connection.vendor == "postgresql":
        return _beat_write_postgresql(state, beat, now)
    with transaction.atomic():
        moved = Viewing.objects.filter(pk=state.pk, token=state.token, beats=state.beats).update(
            last_beat_at=now, beats=F("beats") + 1
        )
        if not moved:
            return False
        completed_now = beat.progress.completed_at is not None
        WatchProgress.objects.bulk_create(
            [beat.progress],
            update_conflicts=True,
            unique_fields=["member", "video"],
            update_fields=[f for f in PROGRESS_FIELDS if f != "completed_at" or completed_now],
        )
        if beat.study is not None:
            OnlineStudy.objects.bulk_create(
                [beat.study],
                update_conflicts=True,
                unique_fields=["member", "video", "year"],
                update_fields=STUDY_FIELDS,
            )
    return True


# The viewing moves on only if it is still the version read; progress and online study are written
# only if it did (FROM moved), as upserts: inserted on the first heartbeat, updated in place after;
# online study only when the new seconds count as such (the last parameter).
BEAT_SQL = """
WITH moved AS (
    UPDATE learning_viewing SET last_beat_at = %s, beats = beats + 1
    WHERE id = %s AND token = %s AND beats = %s
    RETURNING id
), progress AS (
    INSERT INTO learning_watchprogress
        (member_id, video_id, watched, watched_seconds, position, completed_at, last_watched_at)
    SELECT %s, %s, %s, %s, %s, %s, %s FROM moved
    ON CONFLICT (member_id, video_id) DO UPDATE SET
        watched = EXCLUDED.watched, watched_seconds = EXCLUDED.watched_seconds,
        position = EXCLUDED.position,
        completed_at = COALESCE(learning_watchprogress.completed_at, EXCLUDED.completed_at),
        last_watched_at = EXCLUDED.last_watched_at
), study AS (
    INSERT INTO attendance_onlinestudy (member_id, video_id, year, seconds, minutes, updated_at)
    SELECT %s, %s, %s, %s, %s, %s FROM moved WHERE %s
    ON CONFLICT (member_id, video_id, year) DO UPDATE SET
        seconds = EXCLUDED.seconds, minutes = EXCLUDED.minutes, updated_at = EXCLUDED.updated_at
)
SELECT count(*) FROM moved"""


def _beat_write_postgresql(state: Viewing, beat: _Beat, now: datetime) -> bool:
    progress, study = beat.progress, beat.study
    params = [now, state.pk, state.token, state.beats]
    params += [progress.member_id, progress.video_id, progress.watched, progress.watched_seconds]
    params += [progress.position, progress.completed_at, progress.last_watched_at]
    if study is not None:
        params += [study.member_id, study.video_id, study.year, study.seconds, study.minutes, now, True]
    else:
        params += [progress.member_id, progress.video_id, 0, 0, 0, now, False]
    with connection.cursor() as cursor:
        cursor.execute(BEAT_SQL, params)
        return cursor.fetchone()[0] == 1


@transaction.atomic
def study_rule_set(
    *, actor, year: int, category: str, content: str, share: int, cap_hours=None, marked_videos=()
) -> StudyRule:
    """The organization department sets a year's online study rule for a member category."""
    if not is_org_dept(actor):
        raise PermissionDenied(_("Only the organization department sets the online study rules."))
    rule = StudyRule.objects.filter(year=year, category=category).first() or StudyRule(
        year=year, category=category
    )
    rule.content, rule.share, rule.cap_hours, rule.updated_by = content, share, cap_hours, actor
    rule.full_clean()
    rule.save()
    rule.marked_videos.set(marked_videos)
    return rule


REMIND_DAYS = 14  # recordings of sessions that ended this recently are announced to those who owe them


def makeup_reminders_send(*, now: datetime | None = None) -> int:
    """Tell each member who owes make-up for a ready recording (absent or excused from its session, or
    a migrant member of the class's township who did not attend) that they can make it up, once per
    member and session (`lms.notifications` keeps the key "makeup:<session>" unique). Returns how many
    were newly told. Run by the sweep (`manage.py learning_makeup_reminders`, cron)."""
    from lms.notifications.models import NotificationKind
    from lms.notifications.services import notify_many

    now = now or timezone.now()
    recordings = (
        Video.objects.filter(
            status=VideoStatus.READY,
            session__isnull=False,
            session__ends_at__lte=now,
            session__ends_at__gt=now - timedelta(days=REMIND_DAYS),
        )
        .select_related("session__training_class")
        .order_by("pk")
    )
    told = 0
    for video in recordings:
        users = [member.user for member in selectors.members_owing(video)]
        if users:
            session = video.session
            told += notify_many(
                users,
                NotificationKind.MAKEUP_OWED,
                f"makeup:{session.pk}",
                context={"title": session.display_title},
                url=f"/me/videos/{video.pk}/",
            )
    return told

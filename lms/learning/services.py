"""Writes about on-demand learning: opening a viewing and its heartbeats.

A heartbeat brings the intervals the player actually played since the last one. The server believes
no more of them than wall time allows (elapsed × 1.5 since the viewing's last heartbeat, plus a little
slack for the network), merges them into the member's bitmap of watched seconds for the video, and
credits only seconds not watched before: seeking forward plays nothing, seeking back re-plays seconds
already counted, two tabs or two videos share the member's one viewing (the newest wins).

Everything a heartbeat writes is updated in place under the lock of the member's `Viewing` row: a
burst of the same heartbeat credits once, and the rows written per member-hour stay three.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.attendance.models import OnlineStudy
from lms.attendance.services import attendance_credit_replay
from lms.learning import selectors, watched
from lms.learning.models import StudyRule, Viewing, WatchProgress
from lms.people.models import Member
from lms.people.selectors import is_org_dept
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


def viewing_heartbeat(
    *, user, viewing_id: str, intervals, position: float | None = None, now: datetime | None = None
) -> Heartbeat:
    """Take one heartbeat of a viewing (see the module's docstring)."""
    now = now or timezone.now()
    member_id, video_id, token = _read_token(viewing_id)
    member = Member.objects.select_related("branch").filter(pk=member_id, user_id=user.pk).first()
    if member is None:
        raise PermissionDenied(_("This viewing is not yours."))
    video = Video.objects.filter(pk=video_id).first()
    if video is None or video.status != VideoStatus.READY:
        raise HeartbeatRefused("gone", _("This video is no longer available."))
    seconds = watched.length_seconds(video.duration)
    reported = _clean_intervals(intervals, seconds)
    if position is not None:
        try:
            position = min(max(float(position), 0.0), float(video.duration))
        except (TypeError, ValueError):
            raise HeartbeatRefused("bad_position", _("The position is not a number of seconds.")) from None
    year = timezone.localdate(now).year
    rule = selectors.study_rule(year, member.category)
    with transaction.atomic():
        viewing = Viewing.objects.select_for_update().filter(member=member).first()
        if viewing is None or viewing.token != token or viewing.video_id != video.pk:
            raise HeartbeatRefused(
                "superseded",
                _("This video is playing in another tab or on another device: only one counts at a time."),
            )
        elapsed = max((now - viewing.last_beat_at).total_seconds(), 0.0)
        budget = elapsed * MAX_RATE + SLACK_SECONDS
        played = watched.clip_to(reported, budget)
        refused = sum(e - s for s, e in reported) - sum(e - s for s, e in played)
        progress = _progress_locked(member, video, now)
        old = watched.from_bytes(progress.watched)
        new = old | watched.to_bits(played, seconds)
        credited = watched.count(new) - progress.watched_seconds if new != old else 0
        progress.watched = watched.to_bytes(new, seconds)
        progress.watched_seconds = watched.count(new)
        if position is not None:
            progress.position = position
        progress.last_watched_at = now
        completed_now = (
            progress.completed_at is None and progress.watched_seconds * 100 >= rule.share * seconds
        )
        if completed_now:
            progress.completed_at = now
        progress.save(
            update_fields=["watched", "watched_seconds", "position", "last_watched_at", "completed_at"]
        )
        viewing.last_beat_at = now
        viewing.beats += 1
        viewing.save(update_fields=["last_beat_at", "beats"])
        made_up = False
        if video.session_id is not None and selectors.is_makeup_owed(member, video, now):
            if progress.completed_at is not None:
                made_up = (
                    attendance_credit_replay(
                        session=video.session, member=member, minutes=progress.watched_seconds // 60, now=now
                    )
                    is not None
                )
        elif (
            credited
            and not selectors.attended_session(member, video)
            and selectors.rule_counts_video(rule, video)
        ):
            _credit_online(member, video, year, credited, rule, now)
    return Heartbeat(
        credited_seconds=max(credited, 0),
        watched_seconds=progress.watched_seconds,
        share=min(progress.watched_seconds / seconds, 1.0) if seconds else 0.0,
        completed=progress.completed_at is not None,
        made_up=made_up,
        refused_seconds=round(max(refused, 0.0), 1),
    )


def _progress_locked(member: Member, video: Video, now: datetime) -> WatchProgress:
    # The member's viewing row is locked: no other heartbeat of this member runs, so no race here.
    progress = WatchProgress.objects.filter(member=member, video=video).first()
    if progress is None:
        progress = WatchProgress.objects.create(member=member, video=video, last_watched_at=now)
    return progress


def _credit_online(
    member: Member, video: Video, year: int, seconds: int, rule: StudyRule, now: datetime
) -> None:
    """Add newly watched seconds to the member's online study of the video this year, in minutes, within
    the year's cap (the member's viewing row is locked, so the cap holds)."""
    study = OnlineStudy.objects.filter(member=member, video=video, year=year).first()
    if study is None:
        study = OnlineStudy.objects.create(member=member, video=video, year=year, updated_at=now)
    study.seconds += seconds
    minutes = study.seconds // 60
    if rule.cap_hours is not None:
        others = (
            OnlineStudy.objects.filter(member=member, year=year)
            .exclude(pk=study.pk)
            .aggregate(m=Sum("minutes"))["m"]
            or 0
        )
        minutes = max(min(minutes, int(rule.cap_hours * 60) - others), 0)
    study.minutes = minutes
    study.updated_at = now
    study.save(update_fields=["seconds", "minutes", "updated_at"])


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

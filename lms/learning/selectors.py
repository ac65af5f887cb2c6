"""Reads about on-demand learning: how much of a video a member watched, what counts under the year's
rule, what to continue, and the make-up (补学) a member owes for missed sessions that have a recording."""

from datetime import UTC, datetime
from types import SimpleNamespace

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from lms.attendance.models import ATTENDED_STATUSES, AttendanceRecord, AttendanceStatus
from lms.compiled import CompiledQuery, Slot
from lms.learning import watched
from lms.learning.models import DEFAULT_SHARE, StudyContent, StudyRule, WatchProgress
from lms.people.models import Member
from lms.scheduling.models import PUBLIC_STATUSES
from lms.vod.models import Video, VideoStatus

MISSED_STATUSES = (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)


def watched_share(member: Member, video: Video) -> float:
    """The share (0.0 to 1.0) of the video's seconds the member has actually watched."""
    seconds = watched.length_seconds(video.duration)
    if not seconds or member is None:
        return 0.0
    count = (
        WatchProgress.objects.filter(member=member, video=video)
        .values_list("watched_seconds", flat=True)
        .first()
    )
    return min((count or 0) / seconds, 1.0)


def completed_video_ids(member: Member, video_ids) -> set[int]:
    """Which of these videos the member has completed (watched the rule's share of), in one query."""
    if member is None:
        return set()
    return set(
        WatchProgress.objects.filter(
            member=member, video_id__in=list(video_ids), completed_at__isnull=False
        ).values_list("video_id", flat=True)
    )


def study_rule(year: int, category: str) -> StudyRule:
    """The year's online study rule for the category: the stored one, else the default (all videos,
    90 %, no cap), unsaved."""
    rule = StudyRule.objects.filter(year=year, category=category).first()
    return rule or StudyRule(year=year, category=category, content=StudyContent.ALL, share=DEFAULT_SHARE)


def rule_counts_video(rule: StudyRule, video: Video) -> bool:
    if rule.content == StudyContent.ALL:
        return True
    if rule.content == StudyContent.RECORDINGS:
        return video.session_id is not None
    return rule.pk is not None and rule.marked_videos.filter(pk=video.pk).exists()


def progress_for(member: Member | None, video: Video) -> WatchProgress | None:
    if member is None:
        return None
    return WatchProgress.objects.filter(member=member, video=video).first()


def progress_by_video(member: Member | None, video_ids) -> dict[int, WatchProgress]:
    video_ids = list(video_ids)
    if member is None or not video_ids:  # building the empty query cost the home page 0.7 ms
        return {}
    return {p.video_id: p for p in WatchProgress.objects.filter(member=member, video_id__in=video_ids)}


def continue_watching(member: Member, limit: int = 5) -> list[WatchProgress]:
    """Videos the member started and has not completed, latest first."""
    if member is None:
        return []
    return list(
        WatchProgress.objects.filter(
            member=member, completed_at__isnull=True, video__status=VideoStatus.READY
        )
        .select_related("video")
        .order_by("-last_watched_at")[:limit]
    )


def _owed_condition(member: Member) -> Q:
    missed = Exists(
        AttendanceRecord.objects.filter(
            session_id=OuterRef("session_id"), member_id=member.pk, status__in=MISSED_STATUSES
        )
    )
    condition = Q(missed)
    if member.is_migrant:
        attended = Exists(
            AttendanceRecord.objects.filter(
                session_id=OuterRef("session_id"), member_id=member.pk, status__in=ATTENDED_STATUSES
            )
        )
        condition |= Q(session__training_class__school_id=member.branch.township_id) & ~Q(attended)
    return condition


def makeup_owed(member: Member | None, now=None) -> QuerySet[Video]:
    """Ready recordings of ended sessions the member missed (absent or excused) or, for a migrant member
    (流动党员), of every ended session of their township's classes they did not attend: 补学 to do."""
    if member is None:
        return Video.objects.none()
    now = now or timezone.now()
    return (
        Video.objects.filter(
            status=VideoStatus.READY,
            session__isnull=False,
            session__ends_at__lte=now,
            session__training_class__status__in=PUBLIC_STATUSES,
        )
        .filter(_owed_condition(member))
        .select_related("session", "session__training_class")
        .order_by("-session__starts_at")
    )


CARD_MAKEUP = 10  # recordings the home and classes pages list


def _compiled_makeup(migrant: bool) -> CompiledQuery:
    def build(s):
        branch = SimpleNamespace(township_id=s.township if migrant else None)
        member = SimpleNamespace(pk=s.member, is_migrant=migrant, branch=branch)
        return makeup_owed(member, s.now)[:CARD_MAKEUP]

    return CompiledQuery(
        build,
        Slot("member", -774_000_101),
        *([Slot("township", -774_000_102)] if migrant else []),
        Slot("now", datetime(2001, 2, 3, 4, 5, 6, 789_101, tzinfo=UTC)),
    )


# The 补学 card's query, on every home and "my training" page: compiled once per process (building its
# SQL cost more CPU than running it, lms/compiled.py); a migrant member's has one more condition.
_MAKEUP_CARD = {migrant: _compiled_makeup(migrant) for migrant in (False, True)}


def makeup_for_card(member: Member) -> list[Video]:
    """The first CARD_MAKEUP recordings of `makeup_owed(member)`, in its order."""
    values = {"member": member.pk, "now": timezone.now()}
    if member.is_migrant:
        values["township"] = member.branch.township_id
    return _MAKEUP_CARD[bool(member.is_migrant)].all(**values)


def is_makeup_owed(member: Member, video: Video, now=None) -> bool:
    return video.session_id is not None and makeup_owed(member, now).filter(pk=video.pk).exists()


def attended_session(member: Member, video: Video) -> bool:
    """Whether the member already has credit for the session this video records."""
    return (
        video.session_id is not None
        and AttendanceRecord.objects.filter(
            session_id=video.session_id, member=member, status__in=ATTENDED_STATUSES
        ).exists()
    )


def members_owing(video: Video) -> QuerySet[Member]:
    """Everyone who owes make-up for this recording (not scoped: for the reminders), with their user."""
    if video.session_id is None:
        return Member.objects.none()
    session = video.session
    missed = AttendanceRecord.objects.filter(session_id=session.pk, status__in=MISSED_STATUSES).values(
        "member_id"
    )
    attended = AttendanceRecord.objects.filter(session_id=session.pk, status__in=ATTENDED_STATUSES).values(
        "member_id"
    )
    return Member.objects.filter(
        Q(pk__in=missed)
        | (Q(is_migrant=True, branch__township_id=session.training_class.school_id) & ~Q(pk__in=attended))
    ).select_related("user")

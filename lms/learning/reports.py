"""Reads for staff: per video the viewers, completion rate, average share watched and drop-off curve,
and the members who still owe make-up for a recording, among the members the user may see
(`members_for_user`: township staff their township, city staff the city, the department everyone).

Each figure is one query whatever the number of viewers or videos: counts are subqueries per video
row, and the curve reads the viewers' bitmaps in one pass (a class of 1,200 is about 1 MB)."""

from dataclasses import dataclass

from django.db.models import Avg, Count, FloatField, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from lms.attendance.models import ATTENDED_STATUSES, AttendanceRecord
from lms.learning import watched
from lms.learning.models import WatchProgress
from lms.learning.selectors import MISSED_STATUSES
from lms.people.models import Member
from lms.people.selectors import members_for_user
from lms.scheduling.models import PUBLIC_STATUSES
from lms.vod.models import Video
from lms.vod.selectors import videos_for_staff

BUCKETS = 20  # points of the drop-off curve


def _progress_in_scope(user) -> QuerySet[WatchProgress]:
    return WatchProgress.objects.filter(member__in=members_for_user(user).order_by().values("pk"))


def videos_with_figures(user) -> QuerySet[Video]:
    """The user's videos, each with `viewer_count` and `completed_count` among the members in scope."""
    scoped = _progress_in_scope(user).filter(video_id=OuterRef("pk")).order_by().values("video_id")
    return videos_for_staff(user).annotate(
        viewer_count=Coalesce(
            Subquery(scoped.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0
        ),
        completed_count=Coalesce(
            Subquery(
                scoped.annotate(n=Count("pk", filter=Q(completed_at__isnull=False))).values("n"),
                output_field=IntegerField(),
            ),
            0,
        ),
        average_seconds=Subquery(
            scoped.annotate(a=Avg("watched_seconds")).values("a"), output_field=FloatField()
        ),
    )


@dataclass
class VideoFigures:
    viewers: int
    completed: int
    average_share: float  # 0..1
    curve: list[dict]  # [{"from": s, "to": s, "share": 0..1, "viewers": n}]

    @property
    def completion_rate(self) -> float:
        return self.completed / self.viewers if self.viewers else 0.0


def video_figures(user, video: Video, buckets: int = BUCKETS) -> VideoFigures:
    """Viewers in scope, completions, average share watched, and the drop-off curve: for each 20th of
    the video, the share of viewers' seconds in it that were watched."""
    seconds = watched.length_seconds(video.duration)
    totals = [0] * buckets
    viewers = completed = watched_total = 0
    rows = (
        _progress_in_scope(user).filter(video=video).values_list("watched", "watched_seconds", "completed_at")
    )
    for data, count, completed_at in rows.iterator(chunk_size=2000):
        viewers += 1
        completed += completed_at is not None
        watched_total += count
        for index, value in enumerate(watched.watched_in(data, buckets, seconds)):
            totals[index] += value
    curve = []
    for index in range(buckets):
        first, last = seconds * index // buckets, seconds * (index + 1) // buckets
        width = max(last - first, 1)
        curve.append(
            {
                "from": first,
                "to": last,
                "share": totals[index] / (width * viewers) if viewers else 0.0,
                "viewers": round(totals[index] / width, 1),
            }
        )
    return VideoFigures(
        viewers=viewers,
        completed=completed,
        average_share=watched_total / (viewers * seconds) if viewers and seconds else 0.0,
        curve=curve,
    )


def makeup_owed_members(user, video: Video, township_id: int | None = None) -> QuerySet[Member]:
    """Members in scope who still owe make-up for this recording: absent or excused from its session,
    or migrant members of the class's township who did not attend it; with how much they watched
    (`watched_seconds`, 0 when they have not started)."""
    if video.session_id is None or video.session.ends_at > timezone.now():
        return Member.objects.none()
    session = video.session
    if session.training_class.status not in PUBLIC_STATUSES:
        return Member.objects.none()
    records = AttendanceRecord.objects.filter(session_id=session.pk, member_id=OuterRef("pk"))
    missed = Q(
        pk__in=AttendanceRecord.objects.filter(session_id=session.pk, status__in=MISSED_STATUSES).values(
            "member_id"
        )
    )
    migrant = Q(is_migrant=True, branch__township_id=session.training_class.school_id) & ~Q(
        pk__in=AttendanceRecord.objects.filter(session_id=session.pk, status__in=ATTENDED_STATUSES).values(
            "member_id"
        )
    )
    members = members_for_user(user).filter(missed | migrant)
    if township_id:
        members = members.filter(branch__township_id=township_id)
    watched_seconds = WatchProgress.objects.filter(video_id=video.pk, member_id=OuterRef("pk")).values(
        "watched_seconds"
    )
    return members.annotate(
        watched_seconds=Coalesce(Subquery(watched_seconds, output_field=IntegerField()), 0),
        record_status=Subquery(records.values("status")[:1]),
    ).order_by("branch__township__path", "branch__name", "name", "pk")

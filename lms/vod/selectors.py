"""Reads about videos on demand, scoped to what the asking user may see and watch.

- Staff see the videos of the schools they run (a city school's staff: every township's too); the
  organization department sees all.
- A member watches, once ready: uploads published by their township's school or the city school;
  recordings of sessions of the classes they are enrolled in; and, for a migrant member (流动党员),
  every recorded session of their township's classes.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from lms.people.models import Member
from lms.people.selectors import is_org_dept, is_staff_user, member_profile, staff_scope_paths
from lms.scheduling.models import Enrollment, EnrollmentStatus
from lms.vod import tokens
from lms.vod.models import Video, VideoOrigin, VideoStatus

User = AbstractBaseUser | AnonymousUser
PATH_STEP = 4  # Wagtail's tree path: four characters per level


def _with_relations(videos: QuerySet[Video]) -> QuerySet[Video]:
    return videos.select_related("school", "session__training_class")


def videos_for_staff(user: User) -> QuerySet[Video]:
    """Videos the user manages (any state): their schools' ones, or all for the org department."""
    videos = _with_relations(Video.objects.all())
    if is_org_dept(user):
        return videos
    paths = staff_scope_paths(user) if is_staff_user(user) else []
    if not paths:
        return videos.none()
    return videos.filter(_under_paths(paths))


def _under_paths(paths: list[str]) -> Q:
    condition = Q()
    for path in paths:
        condition |= Q(school__path__startswith=path)
    return condition


def _member_condition(member: Member) -> Q:
    township = member.branch.township
    ancestors = [township.path[:end] for end in range(PATH_STEP, len(township.path) + 1, PATH_STEP)]
    enrolled_classes = Enrollment.objects.filter(member=member, status=EnrollmentStatus.ENROLLED).values(
        "training_class_id"
    )
    condition = Q(origin=VideoOrigin.UPLOAD, published=True, school__path__in=ancestors) | Q(
        origin=VideoOrigin.RECORDING, session__training_class_id__in=enrolled_classes
    )
    if member.is_migrant:
        condition |= Q(origin=VideoOrigin.RECORDING, session__training_class__school_id=township.pk)
    return Q(status=VideoStatus.READY) & condition


def videos_for_user(user: User) -> QuerySet[Video]:
    """Videos the user may see: staff (any state) in their scope, and what they may watch as a member
    (ready ones only)."""
    if is_org_dept(user):
        return _with_relations(Video.objects.all())
    condition = Q(pk__in=[])
    if is_staff_user(user):
        paths = staff_scope_paths(user)
        if paths:
            condition |= _under_paths(paths)
    member = member_profile(user)
    if member is not None:
        condition |= _member_condition(member)
    return _with_relations(Video.objects.filter(condition))


def can_watch(user: User, video: Video) -> bool:
    """Whether the user may play this video (it must be ready)."""
    if video.status != VideoStatus.READY or not user.is_authenticated:
        return False
    return videos_for_user(user).filter(pk=video.pk).exists()


def can_manage(user: User, video: Video) -> bool:
    return videos_for_staff(user).filter(pk=video.pk).exists()


def file_url(video: Video, name: str) -> str:
    """A signed URL of one of the video's HLS files (no permission check: callers have made it)."""
    token = tokens.token_make(video.folder, seconds=tokens.lifetime(video.duration))
    return reverse("vod:file", kwargs={"token": token, "folder": video.folder, "name": name})


def playlist_url(video: Video, user: User) -> str:
    """The master playlist's short-lived signed URL for a player (hls.js); the renditions and segments
    are fetched relative to it. Raises PermissionDenied if the user may not watch the video."""
    if not can_watch(user, video):
        raise PermissionDenied(_("You may not watch this video."))
    return file_url(video, "master.m3u8")


def poster_url(video: Video, user: User) -> str:
    """The poster frame's signed URL ("" without a poster). Raises PermissionDenied like playlist_url."""
    if not can_watch(user, video):
        raise PermissionDenied(_("You may not watch this video."))
    return file_url(video, "poster.jpg") if video.has_poster else ""

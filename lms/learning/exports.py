"""The members who still owe make-up for a recording, as a background export (lms/exports): the
video's staff page records the export and opens its progress page; the worker reads, as the user who
asked, through the page's own checks and `reports.makeup_owed_members`, so a township's staff get
only their township's members.

A recording of a class of 1,200 may leave a thousand members owing make-up: the worker takes their
ids in one query, then one query per chunk for those members with their attendance and watched
seconds (and one progress write), however many members."""

from collections.abc import Mapping

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms.attendance.models import AttendanceStatus
from lms.exports.sources import ExportRefused, ExportSource, int_or_none
from lms.learning import reports
from lms.people.models import Member
from lms.people.selectors import is_org_dept, is_staff_user
from lms.vod.models import Video
from lms.vod.selectors import videos_for_staff

MAKEUP_HEADINGS = (
    gettext_lazy("Township school"),
    gettext_lazy("Branch"),
    gettext_lazy("Full name"),
    gettext_lazy("Phone"),
    gettext_lazy("Migrant member"),
    gettext_lazy("Attendance"),
    gettext_lazy("Share watched (%)"),
)


def may_see_learning_figures(user) -> bool:
    return is_org_dept(user) or is_staff_user(user)


def staff_video(user, video_id: int | None) -> Video | None:
    """The video if the user manages it (`videos_for_staff`), with its session and class."""
    if video_id is None or not may_see_learning_figures(user):
        return None
    return videos_for_staff(user).filter(pk=video_id).select_related("session__training_class").first()


def share_percent(watched_seconds: int, duration: float | None) -> int:
    seconds = duration or 0
    return round(watched_seconds * 100 / seconds) if seconds else 0


def makeup_cells(member: Member, duration: float | None) -> list:
    """One row of the export: a member from `reports.makeup_owed_members` (annotated)."""
    return [
        member.branch.township.title,
        member.branch.name,
        member.name,
        member.phone,
        _("Yes") if member.is_migrant else "",
        str(AttendanceStatus(member.record_status).label) if member.record_status else "",
        share_percent(member.watched_seconds, duration),
    ]


class MakeupOwedExport(ExportSource):
    @classmethod
    def clean_params(cls, params: Mapping) -> dict:
        video = int_or_none(params.get("video"))
        if video is None:
            raise ValueError("a make-up export needs its video")
        return {"video": video, "township": int_or_none(params.get("township"))}

    def video(self) -> Video | None:
        if not hasattr(self, "_video"):
            self._video = staff_video(self.user, self.params["video"])
        return self._video

    def allowed(self) -> bool:
        return self.video() is not None

    def filename(self) -> str:
        return f"video-{self.params['video']}-makeup"

    def sheet_title(self) -> str:
        return _("Make-up owed")

    def headings(self):
        return [str(heading) for heading in MAKEUP_HEADINGS]

    def open(self):
        video = self.video()
        if video is None:
            raise ExportRefused(_("You may no longer see what this export holds."))
        owed = reports.makeup_owed_members(self.user, video, self.params["township"])
        ids = list(owed.values_list("pk", flat=True))
        chunk = settings.EXPORTS_CHUNK_ROWS

        def rows():
            for start in range(0, len(ids), chunk):
                # The same selector, bounded to the chunk: its order, annotations and scope.
                for member in owed.filter(pk__in=ids[start : start + chunk]):
                    yield makeup_cells(member, video.duration)

        return len(ids), rows()

"""What an export reads. Each kind of export has a source: who may start it (the page's own check),
its parameters, its headings and its rows, read as the user who asked, so the file holds exactly what
that user's page shows. Sources live next to their pages and are found here by kind."""

from collections.abc import Iterable, Mapping, Sequence

from django.utils.module_loading import import_string

from lms.exports.models import ExportKind

# The files go to the county's offices: headings, categories and words in Chinese, whatever
# language the staff user reads the admin in.
EXPORT_LANGUAGE = "zh-hans"

SOURCES = {
    ExportKind.MEMBERS_BEHIND: "lms.attendance.exports.MembersBehindExport",
    ExportKind.TOWNSHIP_SUMMARY: "lms.attendance.exports.TownshipSummaryExport",
    ExportKind.TEACHER_RANKING: "lms.evaluation.admin.reports_ranking.TeacherRankingExport",
    ExportKind.MEMBERS: "lms.people.admin.members.MemberListExport",
    ExportKind.MAKEUP_OWED: "lms.learning.exports.MakeupOwedExport",
    ExportKind.COURSE_LEARNERS: "courses.learning_exports.CourseLearnersExport",
    ExportKind.COURSE_FUNNEL: "courses.learning_exports.CourseFunnelExport",
}


class ExportRefused(Exception):
    """An export that may not be built, with the reason in words."""


class ExportSource:
    """One kind of export, for one user, with cleaned parameters, in one format (xlsx or csv).

    `headings`, `sheet_title` and `open` are called with EXPORT_LANGUAGE active."""

    def __init__(self, user, params: Mapping, fmt: str):
        self.user = user
        self.params = params
        self.fmt = fmt

    @classmethod
    def clean_params(cls, params: Mapping) -> dict:
        """The parameters as stored on the job (JSON; the same request gives the same dict)."""
        return {}

    def allowed(self) -> bool:
        """Whether the user may see what this export holds (the page's own permission check)."""
        raise NotImplementedError

    def filename(self) -> str:
        """The download's name without its extension (ASCII)."""
        raise NotImplementedError

    def sheet_title(self) -> str:
        return ""

    def headings(self) -> Sequence[str]:
        raise NotImplementedError

    def open(self) -> tuple[int, Iterable[Sequence]]:
        """How many rows there are, and the rows (read in chunks, never all at once)."""
        raise NotImplementedError


def source_class(kind: str) -> type[ExportSource]:
    try:
        path = SOURCES[ExportKind(kind)]
    except (KeyError, ValueError) as exc:
        raise ExportRefused(f"unknown export kind {kind!r}") from exc
    return import_string(path)


def int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None

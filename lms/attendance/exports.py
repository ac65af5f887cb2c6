"""The hours reports' spreadsheets, built by the background worker (lms/exports): members behind the
yearly requirement and the per-township summary. Each reads as the user who asked, through the
page's own permission check and selectors, so the file holds what that user's page shows."""

from collections.abc import Mapping

from django.conf import settings
from django.utils.translation import gettext as _

from lms.attendance import selectors
from lms.attendance.admin import reports_behind, reports_townships
from lms.attendance.admin.reports_common import FIRST_YEAR, may_see_hours, may_see_summary
from lms.exports.sources import ExportSource, int_or_none
from lms.people.selectors import members_for_user


def clean_year(value) -> int:
    year = int_or_none(value)
    if year is None or not FIRST_YEAR <= year <= 9999:
        raise ValueError(f"not a report year: {value!r}")
    return year


class MembersBehindExport(ExportSource):
    @classmethod
    def clean_params(cls, params: Mapping) -> dict:
        return {
            "year": clean_year(params.get("year")),
            "township": int_or_none(params.get("township")),
            "branch": int_or_none(params.get("branch")),
        }

    def allowed(self) -> bool:
        return may_see_hours(self.user)

    def filename(self) -> str:
        return f"members-behind-{self.params['year']}"

    def sheet_title(self) -> str:
        return _("Behind %(year)s") % {"year": self.params["year"]}

    def headings(self):
        return [str(heading) for heading in reports_behind.HEADINGS]

    def open(self):
        """Who is behind as one list of ids (no one's minutes needed, like the page); then, per chunk,
        those members and their minutes over the year's records: two queries a chunk, however many
        members and years."""
        year = self.params["year"]
        behind = reports_behind.behind_filtered(
            self.user, year, self.params["township"], self.params["branch"]
        )
        ids = list(behind.values_list("pk", flat=True))
        chunk = settings.EXPORTS_CHUNK_ROWS
        in_scope = members_for_user(self.user).select_related("branch__township")

        def rows():
            for start in range(0, len(ids), chunk):
                part = ids[start : start + chunk]
                fetched = in_scope.in_bulk(part)
                members = [fetched[pk] for pk in part if pk in fetched]
                for member in selectors.with_hours(members, year):
                    yield reports_behind.export_cells(member)

        return len(ids), rows()


class TownshipSummaryExport(ExportSource):
    @classmethod
    def clean_params(cls, params: Mapping) -> dict:
        return {"year": clean_year(params.get("year"))}

    def allowed(self) -> bool:
        return may_see_summary(self.user)

    def filename(self) -> str:
        return f"training-hours-by-township-{self.params['year']}"

    def sheet_title(self) -> str:
        return str(self.params["year"])

    def headings(self):
        return [str(heading) for heading in reports_townships.HEADINGS]

    def open(self):
        rows, total = reports_townships.township_summary(self.user, self.params["year"])
        cells = [row.cells() for row in (*rows, total)]
        return len(cells), cells
